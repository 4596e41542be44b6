/**
 * Renders the definition (definition.ts) for one naming into Prometheus rule groups, a Prometheus Operator
 * PrometheusRule, and the example Alertmanager config. Pure functions: the same options always give the same text.
 */
import YAML from 'yaml';
import { ALERTS, RECORDING_RULES, type AlertDefinition, type RecordNames, type RuleContext } from './definition.js';
import { NAMINGS, type Naming, type NamingId, type Signal } from './naming.js';

/**
 * Where the runbooks are in zkotel's own tree. zkotel cannot know where an organisation serves them, so a rule links
 * (`runbook_url`) only to a base URL it is given (`runbookBase`); without one it names the section in this file
 * (`runbook`): a pointer an on-call can follow, never a link that 404s.
 */
export const RUNBOOK_DOC = 'docs/runbooks.md';

export interface AlertOverride {
  /** Parameter values by name (`threshold`, and e.g. `fallback`). */
  readonly params?: Readonly<Record<string, number>>;
  readonly for?: string;
}

export interface RenderOptions {
  readonly naming?: NamingId;
  readonly overrides?: Readonly<Record<string, AlertOverride>>;
  /** Replaces every alert's `for` (tests and demos that cannot wait minutes). */
  readonly forAll?: string;
  /** The groups' evaluation interval; Prometheus's global one when unset. */
  readonly interval?: string;
  /** The Prometheus job that scrapes zkotel (for ZooKeeperAgentDown). */
  readonly agentJob?: string;
  /** How long the voting member count and the clusters an agent fed are remembered. */
  readonly lookback?: string;
  /** The URL where docs/runbooks.md is served (its sections are `#<alert name in lower case>`); none by default. */
  readonly runbookBase?: string | undefined;
  /** Without annotations (promtool unit tests that compare labels only). Default true. */
  readonly annotations?: boolean;
}

export interface PrometheusRule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: PrometheusRule[];
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Alerts of the definition that the naming can express. */
export function alertsFor(naming: Naming): AlertDefinition[] {
  return ALERTS.filter((alert) => alert.needs.every((signal) => naming.signals[signal] !== undefined));
}

/** Checks overrides against the definition: unknown alerts, parameters or malformed values are errors. */
export function validateOverrides(overrides: Readonly<Record<string, AlertOverride>>): string[] {
  const problems: string[] = [];
  for (const [name, override] of Object.entries(overrides)) {
    const alert = ALERTS.find((candidate) => candidate.name === name);
    if (!alert) {
      problems.push(`unknown alert "${name}" (one of: ${ALERTS.map((candidate) => candidate.name).join(', ')})`);
      continue;
    }
    for (const [param, value] of Object.entries(override.params ?? {})) {
      if (!alert.params?.[param])
        problems.push(`${name} has no parameter "${param}"${alert.params ? ` (it has: ${Object.keys(alert.params).join(', ')}, for)` : ' (only "for")'}`);
      else if (!Number.isFinite(value)) problems.push(`${name}.${param}: expected a number, got ${String(value)}`);
    }
    if (override.for !== undefined && !DURATION.test(override.for))
      problems.push(`${name}.for: expected a Prometheus duration such as 5m, got "${override.for}"`);
  }
  return problems;
}

function context(naming: Naming, options: RenderOptions, alert?: AlertDefinition): RuleContext {
  const cluster = naming.cluster;
  const level = (suffix: string, by = cluster) => `${by}:${naming.recordPrefix}_${suffix}`;
  const record: RecordNames = {
    votingMembers: level('voting_members:max'),
    majority: level('quorum_majority:min'),
    servingVoters: level('serving_voters:count'),
    effectiveLeader: level('effective_leader:max', `${cluster}_${naming.endpoint}`),
    effectiveLeaders: level('effective_leaders:count'),
  };
  const clusterVar = `$labels.${cluster}`;
  const endpointVar = `$labels.${naming.endpoint}`;
  return {
    cluster,
    endpoint: naming.endpoint,
    server: `${cluster}, ${naming.endpoint}`,
    signal: (name: Signal) => {
      const value = naming.signals[name];
      if (value === undefined) throw new Error(`naming ${naming.id} has no signal ${name}`);
      return value.replaceAll('$window', '5m');
    },
    has: (name: Signal) => naming.signals[name] !== undefined,
    record,
    param: (name: string) => {
      const override = alert ? options.overrides?.[alert.name]?.params?.[name] : undefined;
      const value = override ?? alert?.params?.[name]?.value;
      if (value === undefined) throw new Error(`${alert?.name ?? 'recording rule'} has no parameter ${name}`);
      return value;
    },
    agentUp: `up{job="${options.agentJob ?? 'zkotel'}"}`,
    lookback: options.lookback ?? '1h',
    clusterVar,
    endpointVar,
    clusterText: `{{ ${clusterVar} }}`,
    endpointText: `{{ ${endpointVar} }}`,
  };
}

/** `zk_cluster` and `zk_endpoint` on every alert, whatever the naming calls them. */
function identityLabels(naming: Naming, alert: AlertDefinition): Record<string, string> {
  const labels: Record<string, string> = {};
  if (naming.cluster !== 'zk_cluster') labels.zk_cluster = `{{ $labels.${naming.cluster} }}`;
  if (alert.scope === 'server' && naming.endpoint !== 'zk_endpoint') labels.zk_endpoint = `{{ $labels.${naming.endpoint} }}`;
  return labels;
}

export function renderGroups(options: RenderOptions = {}): RuleGroup[] {
  const naming = NAMINGS[options.naming ?? 'default'];
  const problems = validateOverrides(options.overrides ?? {});
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const recordCtx = context(naming, options);
  const records: PrometheusRule[] = RECORDING_RULES.filter((rule) => rule.needs.every((signal) => naming.signals[signal] !== undefined)).map((rule) => ({
    record: recordCtx.record[rule.record],
    expr: rule.expr(recordCtx),
  }));
  const alerts: PrometheusRule[] = alertsFor(naming).map((alert) => {
    const ctx = context(naming, options, alert);
    return {
      alert: alert.name,
      expr: alert.expr(ctx),
      for: options.forAll ?? options.overrides?.[alert.name]?.for ?? alert.for,
      labels: { severity: alert.severity, ...identityLabels(naming, alert) },
      ...(options.annotations === false
        ? {}
        : {
            annotations: {
              summary: alert.summary(ctx),
              description: alert.description(ctx),
              ...runbookAnnotation(alert.name, options.runbookBase),
            },
          }),
    };
  });
  const interval = options.interval ? { interval: options.interval } : {};
  return [
    { name: 'zookeeper.rules', ...interval, rules: records },
    { name: 'zookeeper.alerts', ...interval, rules: alerts },
  ];
}

/** Why `base` cannot be a runbook base URL (an http(s) URL without a fragment), or undefined when it can. */
export function runbookBaseProblem(base: string): string | undefined {
  return /^https?:\/\/[^\s#]+$/.test(base) ? undefined : `expected an http(s) URL without #fragment (where ${RUNBOOK_DOC} is served), got "${base}"`;
}

/** `runbook_url` into the runbooks served at `base`, else `runbook`: the section of docs/runbooks.md. */
export function runbookAnnotation(alertName: string, base: string | undefined): { runbook_url: string } | { runbook: string } {
  const section = `#${alertName.toLowerCase()}`;
  return base === undefined ? { runbook: `zkotel ${RUNBOOK_DOC}${section}` } : { runbook_url: `${base}${section}` };
}

const YAML_OPTIONS = { lineWidth: 0 } as const;

function header(options: RenderOptions, what: string): string {
  const naming = NAMINGS[options.naming ?? 'default'];
  const left = ALERTS.filter((alert) => !alertsFor(naming).includes(alert)).map((alert) => alert.name);
  const lines = [
    `# ${what}`,
    `# Generated from src/alerting/definition.ts by \`zkotel rules${naming.id === 'default' ? '' : ` --naming ${naming.id}`}\`: do not edit by hand;`,
    '# tune with `zkotel rules --set NAME.threshold=VALUE` (README, "Alerting").',
    options.runbookBase === undefined
      ? `# Runbooks: ${RUNBOOK_DOC} in zkotel (annotation runbook); \`--runbook-base URL\` where you serve it makes them links (runbook_url).`
      : `# Runbooks: ${options.runbookBase} (runbook_url), zkotel's ${RUNBOOK_DOC}.`,
  ];
  if (left.length > 0) lines.push(`# Not expressible with these metric names (left out): ${left.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

/** A Prometheus rule file (`rule_files:`). */
export function renderRuleFile(options: RenderOptions = {}): string {
  const naming = NAMINGS[options.naming ?? 'default'];
  const what =
    naming.id === 'default'
      ? "ZooKeeper alerting and recording rules for zkotel's default metric names (zookeeper_*, zk_cluster, zk_endpoint)."
      : 'ZooKeeper alerting and recording rules for the Go zookeeper-exporter names (zk_*, zk_host; cluster = job), as pipelines/compat-zookeeper-exporter.yaml serves them.';
  return header(options, what) + YAML.stringify({ groups: renderGroups(options) }, YAML_OPTIONS);
}

/** The same rules as a Prometheus Operator PrometheusRule. */
export function renderPrometheusRule(options: RenderOptions = {}): string {
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'zkotel-zookeeper', labels: { 'app.kubernetes.io/name': 'zkotel', 'app.kubernetes.io/component': 'alerting' } },
    spec: { groups: renderGroups(options) },
  };
  return (
    header(options, "ZooKeeper alerting and recording rules for the Prometheus Operator (zkotel's default metric names).") +
    YAML.stringify(manifest, YAML_OPTIONS)
  );
}

const PER_SERVER_ALERTS = ALERTS.filter((alert) => alert.scope === 'server').map((alert) => alert.name);

/**
 * The example Alertmanager config: routes by severity, and inhibition so that one cause pages once: a lost quorum
 * silences the per-server alerts of its cluster (and its no-leader and quorum-at-risk alerts), a down server silences its other
 * per-server alerts, and a down agent silences everything it feeds.
 */
export function renderAlertmanagerConfig(options: { groupWait?: string; groupInterval?: string } = {}): string {
  const zookeeperAlerts = `alertname=~"ZooKeeper.+"`;
  const config = {
    route: {
      receiver: 'zookeeper-tickets',
      group_by: ['alertname', 'zk_cluster'],
      group_wait: options.groupWait ?? '30s',
      group_interval: options.groupInterval ?? '5m',
      repeat_interval: '4h',
      routes: [
        { matchers: ['severity="critical"'], receiver: 'zookeeper-pager', repeat_interval: '1h' },
        { matchers: ['severity="info"'], receiver: 'zookeeper-info', repeat_interval: '24h' },
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['alertname="ZooKeeperQuorumLost"'],
        target_matchers: [zookeeperAlerts, 'zk_endpoint=~".+"'],
        equal: ['zk_cluster'],
      },
      {
        source_matchers: ['alertname="ZooKeeperQuorumLost"'],
        target_matchers: ['alertname=~"ZooKeeperQuorumAtRisk|ZooKeeperNoLeader"'],
        equal: ['zk_cluster'],
      },
      {
        source_matchers: ['alertname="ZooKeeperServerDown"'],
        target_matchers: [`alertname=~"${PER_SERVER_ALERTS.filter((name) => name !== 'ZooKeeperServerDown').join('|')}"`],
        equal: ['zk_cluster', 'zk_endpoint'],
      },
      {
        source_matchers: ['alertname="ZooKeeperAgentDown"'],
        target_matchers: [zookeeperAlerts, 'alertname!="ZooKeeperAgentDown"'],
        equal: ['zk_cluster'],
      },
    ],
    receivers: [{ name: 'zookeeper-pager' }, { name: 'zookeeper-tickets' }, { name: 'zookeeper-info' }],
  };
  return (
    '# Example Alertmanager config for the ZooKeeper rules (deploy/prometheus/zookeeper-rules.yaml).\n' +
    '# Generated from src/alerting/render.ts: do not edit by hand. Add your integrations to the three receivers, e.g.\n' +
    '#   - name: zookeeper-pager\n#     pagerduty_configs: [{ routing_key_file: /etc/alertmanager/pagerduty-key }]\n' +
    '# Inhibition: a lost quorum silences the per-server, no-leader and quorum-at-risk alerts of its cluster; a down\n' +
    '# server silences its other per-server alerts; a down agent silences every alert of the clusters it feeds.\n' +
    YAML.stringify(config, YAML_OPTIONS)
  );
}

/**
 * The files under deploy/, by path from the repository root. The committed ones are rendered without `runbookBase`
 * (zkotel does not know where you serve the runbooks); `scripts/render-alerting.ts --runbook-base URL --out DIR`
 * renders your own set with links.
 */
export function deployFiles(options: { runbookBase?: string | undefined } = {}): Record<string, string> {
  const { runbookBase } = options;
  return {
    'deploy/prometheus/zookeeper-rules.yaml': renderRuleFile({ naming: 'default', runbookBase }),
    'deploy/prometheus/zookeeper-rules-compat.yaml': renderRuleFile({ naming: 'compat', runbookBase }),
    'deploy/kubernetes/prometheusrule.yaml': renderPrometheusRule({ naming: 'default', runbookBase }),
    'deploy/alertmanager/alertmanager.yaml': renderAlertmanagerConfig(),
  };
}
