import { defineReceiver } from '../../core/component.js';
import { SESSION_RECEIVER_ATTRIBUTES } from './attributes.js';
import { zookeeperSessionReceiverConfigSchema } from './config.js';
import { createZookeeperSessionReceiver } from './receiver.js';

export const zookeeperSessionReceiverFactory = defineReceiver({
  type: 'zookeeper_session',
  attributes: SESSION_RECEIVER_ATTRIBUTES,
  // The sharding extension a receiver opts into with `agent_group: <id>`: refused at validation unless enabled.
  extensionReferences: { agent_group: 'agent_group' },
  configSchema: zookeeperSessionReceiverConfigSchema,
  createReceiver: createZookeeperSessionReceiver,
});
