import { defineReceiver } from '../../core/component.js';
import { SESSION_RECEIVER_ATTRIBUTES } from './attributes.js';
import { zookeeperSessionReceiverConfigSchema } from './config.js';
import { createZookeeperSessionReceiver } from './receiver.js';

export const zookeeperSessionReceiverFactory = defineReceiver({
  type: 'zookeeper_session',
  attributes: SESSION_RECEIVER_ATTRIBUTES,
  configSchema: zookeeperSessionReceiverConfigSchema,
  createReceiver: createZookeeperSessionReceiver,
});
