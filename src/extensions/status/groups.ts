/**
 * The agent groups this agent belongs to, read from the agent's own telemetry (`zkotel_agent_group_*`) as
 * `/metrics` shows it: the status page needs no handle on the extension that coordinates the group.
 */
import type { Batch } from '../../core/batch.js';
import { prometheusMetricName } from '../../internal/prometheus/names.js';

export interface AgentGroupStatus {
  /** The coordinating extension's id, e.g. `agent_group`. */
  id: string;
  /** The session to the coordination ensemble is connected; false means the last assignment is kept. */
  connected: boolean;
  /** Live members as this agent last read them, sorted by id; `self` marks this agent. */
  members: { id: string; self: boolean }[];
  /** Targets this agent owns in the group and probes, all opted-in receivers together. */
  owned_targets: number;
  /** Membership changes that moved targets between agents since this agent started. */
  rebalances: number;
  /** When this agent last read a new member list (ms since the epoch); null before the first. */
  last_change_ms: number | null;
}

const PREFIX = 'zkotel_agent_group_';

/** One entry per group found in a snapshot of the agent's own telemetry, sorted by id. */
export function readAgentGroups(telemetry: Batch): AgentGroupStatus[] {
  const groups = new Map<string, AgentGroupStatus>();
  for (const sample of telemetry.samples) {
    const name = prometheusMetricName(sample.metric);
    const id = sample.attributes['group'];
    if (!name.startsWith(PREFIX) || id === undefined) continue;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { id, connected: false, members: [], owned_targets: 0, rebalances: 0, last_change_ms: null }));
    switch (name.slice(PREFIX.length)) {
      case 'connected':
        group.connected = sample.value === 1;
        break;
      case 'member':
        if (sample.value === 1) group.members.push({ id: sample.attributes['member'] ?? '', self: sample.attributes['self'] === 'true' });
        break;
      case 'owned_targets':
        group.owned_targets = sample.value;
        break;
      case 'rebalances_total':
        group.rebalances = sample.value;
        break;
      case 'last_change_timestamp_seconds':
        group.last_change_ms = sample.value > 0 ? Math.round(sample.value * 1000) : null;
        break;
    }
  }
  for (const group of groups.values()) group.members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...groups.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}
