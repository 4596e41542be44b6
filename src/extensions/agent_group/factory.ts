import { defineExtension } from '../../core/component.js';
import { agentGroupConfigSchema } from './config.js';
import { AgentGroupExtension } from './extension.js';

export const agentGroupExtensionFactory = defineExtension({
  type: 'agent_group',
  configSchema: agentGroupConfigSchema,
  createExtension: (settings, config) => new AgentGroupExtension(settings, config),
});
