import { defineReceiver } from '../../core/component.js';
import { lazyModule } from '../../core/lazy-module.js';
import { SESSION_RECEIVER_ATTRIBUTES } from './attributes.js';
import { zookeeperSessionReceiverConfigSchema } from './config.js';

const implementation = lazyModule('receiver zookeeper_session', () => import('./receiver.js'));

export const zookeeperSessionReceiverFactory = defineReceiver({
  type: 'zookeeper_session',
  attributes: SESSION_RECEIVER_ATTRIBUTES,
  // The sharding extension a receiver opts into with `agent_group: <id>`: refused at validation unless enabled.
  extensionReferences: { agent_group: 'agent_group' },
  configSchema: zookeeperSessionReceiverConfigSchema,
  load: implementation.load,
  createReceiver: (settings, config) => implementation.get().createZookeeperSessionReceiver(settings, config),
});
