import { defineReceiver } from '../../core/component.js';
import { zookeeperReceiverConfigSchema } from './config.js';
import { createZookeeperReceiver } from './receiver.js';

export const zookeeperReceiverFactory = defineReceiver({
  type: 'zookeeper',
  configSchema: zookeeperReceiverConfigSchema,
  createReceiver: createZookeeperReceiver,
});
