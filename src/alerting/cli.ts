/**
 * `zkotel rules`: prints the alerting rules, tuned by `--set NAME.PARAM=VALUE` (or `NAME.for=DURATION`), for one
 * naming, as a rule file or a PrometheusRule.
 */
import { parseArgs } from 'node:util';
import { ALERTS } from './definition.js';
import type { NamingId } from './naming.js';
import { renderPrometheusRule, renderRuleFile, RUNBOOK_DOC, runbookBaseProblem, validateOverrides, type AlertOverride } from './render.js';

export const RULES_HELP = `Usage:
  zkotel rules [--naming default|compat] [--kubernetes] [--agent-job JOB] [--runbook-base URL]
               [--set NAME.PARAM=VALUE]...

Prints the ZooKeeper alerting and recording rules (a Prometheus rule file, or with --kubernetes a Prometheus
Operator PrometheusRule) to stdout.

Options:
  --naming default|compat   metric names: zkotel's own (default) or pipelines/compat-zookeeper-exporter.yaml's
  --kubernetes              a PrometheusRule manifest instead of a rule file
  --agent-job JOB           the Prometheus job that scrapes zkotel, for ZooKeeperAgentDown (default zkotel)
  --runbook-base URL        where you serve zkotel's ${RUNBOOK_DOC}: each alert gets runbook_url
                            URL#<alert name in lower case>. Without it, the annotation runbook names the
                            section of ${RUNBOOK_DOC} (zkotel cannot know where your copy lives)
  --set NAME.PARAM=VALUE    override a parameter, e.g. --set ZooKeeperWatchCountHigh.threshold=50000,
                            or the pending time: --set ZooKeeperServerDown.for=5m

Parameters:
${ALERTS.flatMap((alert) => Object.entries(alert.params ?? {}).map(([name, param]) => `  ${alert.name}.${name} = ${param.value} (${param.unit})`)).join('\n')}
`;

export class RulesUsageError extends Error {}

/** Parses `NAME.PARAM=VALUE` settings into overrides; throws RulesUsageError naming every bad one. */
export function parseSettings(settings: readonly string[]): Record<string, AlertOverride> {
  const overrides: Record<string, { params: Record<string, number>; for?: string }> = {};
  const problems: string[] = [];
  for (const setting of settings) {
    const match = /^([A-Za-z0-9]+)\.([a-z_]+)=(.+)$/.exec(setting);
    if (!match) {
      problems.push(`--set ${setting}: expected NAME.PARAM=VALUE, e.g. ZooKeeperWatchCountHigh.threshold=50000`);
      continue;
    }
    const [, name, param, value] = match as unknown as [string, string, string, string];
    const override = (overrides[name] ??= { params: {} });
    if (param === 'for') override.for = value;
    else if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value)) problems.push(`--set ${setting}: expected a number, got "${value}"`);
    else override.params[param] = Number(value);
  }
  problems.push(...validateOverrides(overrides).map((problem) => `--set ${problem}`));
  if (problems.length > 0) throw new RulesUsageError(problems.join('\n'));
  return overrides;
}

export function rulesCommand(argv: readonly string[]): string {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        naming: { type: 'string', default: 'default' },
        kubernetes: { type: 'boolean', default: false },
        'agent-job': { type: 'string', default: 'zkotel' },
        'runbook-base': { type: 'string' },
        set: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new RulesUsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return RULES_HELP;
  if (values.naming !== 'default' && values.naming !== 'compat') throw new RulesUsageError(`--naming: expected default or compat, got "${values.naming}"`);
  const naming: NamingId = values.naming;
  if (values.kubernetes && naming !== 'default') throw new RulesUsageError('--kubernetes: only with --naming default');
  const agentJob = values['agent-job'];
  if (!/^[^"\\\n]+$/.test(agentJob)) throw new RulesUsageError(`--agent-job: expected a job name, got "${agentJob}"`);
  const overrides = parseSettings(values.set);
  const runbookBase = values['runbook-base'];
  const runbookProblem = runbookBase === undefined ? undefined : runbookBaseProblem(runbookBase);
  if (runbookProblem) throw new RulesUsageError(`--runbook-base: ${runbookProblem}`);
  const options = { naming, overrides, agentJob, runbookBase };
  return values.kubernetes ? renderPrometheusRule(options) : renderRuleFile(options);
}
