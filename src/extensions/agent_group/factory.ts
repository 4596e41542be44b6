import { defineExtension } from '../../core/component.js';
import { lazyModule } from '../../core/lazy-module.js';
import { agentGroupConfigSchema } from './config.js';

const implementation = lazyModule('extension agent_group', () => import('./extension.js'));

export const agentGroupExtensionFactory = defineExtension({
  type: 'agent_group',
  configSchema: agentGroupConfigSchema,
  load: implementation.load,
  createExtension: (settings, config) => new (implementation.get().AgentGroupExtension)(settings, config),
});
