import { defineReceiver } from '../../core/component.js';
import { ZOOKEEPER_RECEIVER_ATTRIBUTES } from './attributes.js';
import { zookeeperReceiverConfigSchema } from './config.js';
import { createZookeeperReceiver } from './receiver.js';

export const zookeeperReceiverFactory = defineReceiver({
  type: 'zookeeper',
  attributes: ZOOKEEPER_RECEIVER_ATTRIBUTES,
  // The sharding extension a receiver opts into with `agent_group: <id>`: refused at validation unless enabled.
  extensionReferences: { agent_group: 'agent_group' },
  configSchema: zookeeperReceiverConfigSchema,
  createReceiver: createZookeeperReceiver,
});
