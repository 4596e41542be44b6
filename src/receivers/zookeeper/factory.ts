import { defineReceiver } from '../../core/component.js';
import { ZOOKEEPER_RECEIVER_ATTRIBUTES } from './attributes.js';
import { zookeeperReceiverConfigSchema } from './config.js';
import { createZookeeperReceiver } from './receiver.js';

export const zookeeperReceiverFactory = defineReceiver({
  type: 'zookeeper',
  attributes: ZOOKEEPER_RECEIVER_ATTRIBUTES,
  configSchema: zookeeperReceiverConfigSchema,
  createReceiver: createZookeeperReceiver,
});
