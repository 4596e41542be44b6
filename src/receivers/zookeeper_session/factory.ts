import { defineReceiver } from '../../core/component.js';
import { zookeeperSessionReceiverConfigSchema } from './config.js';
import { createZookeeperSessionReceiver } from './receiver.js';

export const zookeeperSessionReceiverFactory = defineReceiver({
  type: 'zookeeper_session',
  configSchema: zookeeperSessionReceiverConfigSchema,
  createReceiver: createZookeeperSessionReceiver,
});
