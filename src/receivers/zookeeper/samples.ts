/**
 * Turns parsed replies into samples. One catalog for every transport: a key means the same metric
 * whichever command or protocol delivered it.
 *
 * Naming rule (documented in README.md, "Metric names"):
 * 1. mntr keys that the OpenTelemetry Collector's zookeeper receiver knows keep its names, types and units.
 * 2. Summary families (`zk_{avg,min,max,cnt,sum,p50,p95,p99,p999}_<family>`) become
 *    `zookeeper.<family>.{avg,min,max,p50,p95,p99,p999}` gauges and `zookeeper.<family>.{count,sum}` counters;
 *    labelled sets (`zk_avg_<label>_<family>`) carry the label as an attribute (server_id, namespace).
 *    A family's `_ms` suffix moves to the unit (`jvm_pause_time_ms` -> `zookeeper.jvm_pause_time.*`, unit ms):
 *    Prometheus naming rejects abbreviated units in names.
 * 3. Every other numeric key `zk_<key>` becomes `zookeeper.<key>`: a counter when ZooKeeper counts it
 *    monotonically, else a gauge.
 * 4. String keys become state/info metrics with value 1.
 */
import { describeMetric, type Attributes, type MetricDescriptor, type Sample } from '../../core/batch.js';
import { COUNTER_KEYS, OTEL_MNTR_METRICS, SUMMARY_FAMILIES, SUMMARY_SET_FAMILIES } from './catalog.js';
import { LaidOutNumbers, type MntrLayout } from './mntr-layout.js';
import type { MntrReply, SrvrReply } from './parse.js';
import type { ProbeOutcome } from './probe.js';
import { describeOnce, keyedDescriptor, MAX_CACHED, MNTR_KEY_ATTRIBUTE, type AddSample } from './descriptors.js';
import { detached } from './parse.js';
import { extraSamples } from './samples-optional-words.js';
import { SeriesLayout } from '../../internal/interning/series-layout.js';

export { describeOnce, keyedDescriptor, MNTR_KEY_ATTRIBUTE, type AddSample };

export const SERVER_STATES = ['leader', 'follower', 'observer', 'standalone', 'read_only'] as const;

const OTEL_DESCRIPTORS: ReadonlyMap<string, MetricDescriptor> = new Map(
  Object.entries(OTEL_MNTR_METRICS).map(([key, spec]) => [key, describeOnce(spec.name, spec.kind, spec)]),
);
const otel = (key: string): MetricDescriptor => OTEL_DESCRIPTORS.get(key)!;

export const METRICS = {
  up: describeMetric('zookeeper.up', 'gauge', {
    valueType: 'int',
    description: 'Whether the last probe of the endpoint succeeded: every configured command answered (1) or not (0).',
  }),
  probeFailure: describeMetric('zookeeper.probe.failure', 'gauge', {
    valueType: 'int',
    description: 'Set to 1 for each command whose last probe failed, with the reason.',
  }),
  probeDuration: describeMetric('zookeeper.probe.duration', 'gauge', { unit: 's', description: 'How long the last probe of the endpoint took.' }),
  probeSkipped: describeMetric('zookeeper.probe.skipped', 'counter', {
    valueType: 'int',
    description: 'Collection ticks skipped because the previous probe of the endpoint was still running.',
  }),
  unparsedLines: describeMetric('zookeeper.mntr.unparsed_lines', 'gauge', {
    valueType: 'int',
    description: 'Lines of the last mntr reply that were not zk_<key><TAB><value>.',
  }),
  ruok: describeMetric('zookeeper.ruok', 'gauge', { valueType: 'int', description: 'Response from zookeeper ruok command' }),
  serverState: describeMetric('zookeeper.server.state', 'gauge', {
    valueType: 'int',
    description: 'The role of the server: 1 for the current state, 0 for the others.',
  }),
  peerState: describeMetric('zookeeper.peer.state', 'gauge', {
    valueType: 'int',
    description: 'The quorum peer state reported by mntr (e.g. "following - broadcast"), value 1.',
  }),
  buildInfo: describeMetric('zookeeper.build.info', 'gauge', { valueType: 'int', description: 'The ZooKeeper version the server reports, value 1.' }),
  latencyMin: otel('min_latency'),
  latencyAvg: otel('avg_latency'),
  latencyMax: otel('max_latency'),
  packets: otel('packets_received'),
  connections: otel('num_alive_connections'),
  outstanding: otel('outstanding_requests'),
  znodes: otel('znode_count'),
  followers: otel('synced_followers'),
  // Gauges, not counters: a new leader starts a new epoch and the sequence starts again from 0. Not named
  // "counter" (ZooKeeper's word for the low half): promtool's lint rejects that word in a metric name.
  zxidEpoch: describeMetric('zookeeper.zxid.epoch', 'gauge', {
    valueType: 'int',
    description: 'Epoch (high 32 bits) of the last zxid the server processed, from srvr/stat: changes with every new leader.',
  }),
  zxidSequence: describeMetric('zookeeper.zxid.sequence', 'gauge', {
    valueType: 'int',
    description:
      "Sequence number (low 32 bits, ZooKeeper's zxid counter) of the last zxid the server processed, from srvr/stat: grows with every write; stuck on a busy cluster means no write commits.",
  }),
} as const;

const ZXID_COUNTER_BITS = 32n;
const ZXID_COUNTER_MASK = (1n << ZXID_COUNTER_BITS) - 1n;

/** A zxid is `epoch << 32 | counter`. */
export function splitZxid(zxid: bigint): { epoch: number; counter: number } {
  return { epoch: Number(zxid >> ZXID_COUNTER_BITS), counter: Number(zxid & ZXID_COUNTER_MASK) };
}

const EMPTY: ReadonlyMap<string, number> = new Map();
const SUMMARY_KEY = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$/;
const STAT_SUFFIX: Readonly<Record<string, string>> = { cnt: 'count' };
const SERVER_ID_PREFIX = /^(\d+)_(.+)$/;

/** How one mntr key becomes a sample: which metric, and which attributes besides the endpoint's identity. */
interface KeyMapping {
  readonly metric: MetricDescriptor;
  readonly extra?: Attributes;
}

/**
 * Every endpoint's mapping of each key, shared (with the `__mntr_key` descriptor): a target costs no memory per key,
 * only per key with extra attributes. Keys whose mapping depends on the rest of the reply are not cached here.
 */
const KEY_MAPPINGS = new Map<string, KeyMapping>();

/** Keys whose mapping depends on whether the reply has `cnt_<rest>` (an unknown summary family): both answers kept. */
const DEPENDENT_MAPPINGS = new Map<string, { readonly countKey: string; withCount?: KeyMapping; withoutCount?: KeyMapping }>();

function sharedMapping(key: string, reply: ReadonlyMap<string, number>): KeyMapping {
  const mapping = KEY_MAPPINGS.get(key);
  if (mapping !== undefined) return mapping;
  const dependent = DEPENDENT_MAPPINGS.get(key);
  if (dependent !== undefined) {
    const cached = reply.has(dependent.countKey) ? dependent.withCount : dependent.withoutCount;
    if (cached !== undefined) return cached;
  }
  const { metric, extra, countKey } = mapKeyWithDependence(key, reply);
  // The key detached: parsed keys are slices of their reply (17 KB), and this one is kept (the descriptor, the maps).
  const own = detached(key);
  const made: KeyMapping = { metric: keyedDescriptor(metric, own), ...(extra ? { extra } : {}) };
  // Bounded like the other caches: a server printing ever-new keys must not grow the agent forever.
  if (KEY_MAPPINGS.size + DEPENDENT_MAPPINGS.size >= MAX_CACHED) return made;
  if (countKey === undefined) KEY_MAPPINGS.set(own, made);
  else {
    const entry = dependent ?? { countKey: detached(countKey) };
    if (reply.has(countKey)) entry.withCount = made;
    else entry.withoutCount = made;
    DEPENDENT_MAPPINGS.set(own, entry);
  }
  return made;
}

/**
 * Per-endpoint converter; caches each key's mapping, and remembers the previous probe's series place by place (its
 * descriptor and attribute objects, not its samples), so a steady-state probe looks nothing up. Samples are made
 * new each probe and die young: exporters copy their values into compact storage, and keeping ~490 Sample objects
 * and boxed numbers per endpoint alive (~27 KB) between probes cost more memory than making them costs CPU.
 */
export class SampleMapper {
  /** Identity + extra attributes of the keys that have extras (labelled summaries, OTel direction/state keys). */
  private readonly extraAttributes = new Map<KeyMapping, Attributes>();
  private readonly withExtra = new Map<string, Attributes>();
  /**
   * The previous probe's series, place by place: each sample's descriptor and attribute objects. Replaced, not
   * rewritten, when a probe's series differ. Its descriptors are interned (the same array for every endpoint of a
   * version and role, and for an exporter's record of them).
   */
  private previous = SeriesLayout.of([]);
  /** The probe being mapped: its samples (presized to the previous probe's count) and how many are written. */
  private samples: Sample[] = [];
  private written = 0;
  /**
   * The layout of the previous probe's mntr reply, and where its number samples start in the previous series (one per
   * number, in the layout's order): a reply with the same layout maps place by place, with no lookup.
   */
  private mntrLayout: MntrLayout | undefined;
  private mntrStart = 0;

  constructor(private readonly identity: Attributes) {}

  /** Every sample of one probe, health first. */
  toSamples(outcome: ProbeOutcome, skippedTicks: number): Sample[] {
    // Presized: growing an array of ~500 samples by push copies it ten times.
    const samples = (this.samples = new Array<Sample>(this.previous.length));
    this.written = 0;
    const add = this.add;
    add(METRICS.up, outcome.failures.length === 0 ? 1 : 0);
    add(METRICS.probeDuration, outcome.durationMs / 1000);
    add(METRICS.probeSkipped, skippedTicks);
    for (const { command, error } of outcome.failures) add(METRICS.probeFailure, 1, { command, reason: error.reason });
    const { mntr, ruok, srvr, stat } = outcome.replies;
    if (mntr) this.mntrSamples(mntr, add);
    else this.mntrLayout = undefined;
    if (ruok !== undefined || outcome.failures.some((failure) => failure.command === 'ruok')) add(METRICS.ruok, ruok ? 1 : 0);
    // stat starts like srvr: one of the two, never both, else every series would be there twice.
    const srvrLike = srvr ?? stat;
    if (srvrLike) this.srvrSamples(srvrLike, mntr, add);
    extraSamples(outcome.replies, mntr, add);
    if (this.written < samples.length) samples.length = this.written;
    this.remember(samples);
    this.samples = [];
    return samples;
  }

  private readonly add: AddSample = (metric, value, extra) => this.push(metric, extra ? this.attributes(extra) : this.identity, value);

  private remember(samples: readonly Sample[]): void {
    if (!this.previous.matches(samples)) this.previous = SeriesLayout.of(samples);
  }

  /** Appends a sample that is not from an mntr number. */
  private push(metric: MetricDescriptor, attributes: Attributes, value: number): void {
    this.samples[this.written++] = { metric, value, attributes };
  }

  private mntrSamples(mntr: MntrReply, add: AddSample): void {
    const { numbers } = mntr;
    const start = this.written;
    if (numbers instanceof LaidOutNumbers && numbers.layout === this.mntrLayout) this.laidOutSamples(numbers);
    else this.keyedSamples(numbers);
    this.mntrLayout = numbers instanceof LaidOutNumbers ? numbers.layout : undefined;
    this.mntrStart = start;
    const unsynced = unsyncedFollowers(mntr.numbers);
    if (unsynced !== undefined) this.push(METRICS.followers, this.withState('unsynced'), unsynced);
    add(METRICS.unparsedLines, mntr.oddLines.length);
    for (const [key, value] of mntr.strings) {
      if (key === 'server_state') this.stateSamples(value);
      else if (key === 'peer_state') this.push(METRICS.peerState, this.withState(value), 1);
      else if (key === 'version') this.push(METRICS.buildInfo, this.withVersion(value), 1);
      else add(this.infoMetric(key), 1, { value });
    }
  }

  /**
   * The steady state: the reply has the previous one's layout, so its i-th number is the series of the previous
   * probe's i-th mntr sample.
   */
  private laidOutSamples({ inOrder }: LaidOutNumbers): void {
    const { samples, mntrStart } = this;
    const { metrics: previousMetrics, attributes } = this.previous;
    const { palette, indices } = attributes;
    const start = this.written;
    for (let i = 0; i < inOrder.length; i++) {
      samples[start + i] = { metric: previousMetrics[mntrStart + i]!, value: inOrder[i]!, attributes: palette[indices[mntrStart + i]!]! };
    }
    this.written += inOrder.length;
  }

  /** Any other reply (the first, or one whose lines changed), key by key: a lookup per key in the shared mappings. */
  private keyedSamples(numbers: ReadonlyMap<string, number>): void {
    const { samples } = this;
    numbers.forEach((value, key) => {
      const mapping = sharedMapping(key, numbers);
      samples[this.written++] = { metric: mapping.metric, value, attributes: mapping.extra ? this.extraAttributesOf(mapping) : this.identity };
    });
  }

  /** srvr fills in what mntr did not give: mntr may not be configured, or may have failed. */
  private srvrSamples(srvr: SrvrReply, mntr: MntrReply | undefined, add: AddSample): void {
    const fill = (metric: MetricDescriptor, mntrKey: string, value: number | undefined, extra?: Attributes) => {
      if (value !== undefined && !mntr?.numbers.has(mntrKey)) add(keyedDescriptor(metric, mntrKey), value, extra);
    };
    if (!mntr?.strings.has('server_state')) this.stateSamples(srvr.mode);
    if (srvr.version !== undefined && !mntr?.strings.has('version')) this.push(METRICS.buildInfo, this.withVersion(srvr.version), 1);
    fill(METRICS.latencyMin, 'min_latency', srvr.latencyMin);
    fill(METRICS.latencyAvg, 'avg_latency', srvr.latencyAvg);
    fill(METRICS.latencyMax, 'max_latency', srvr.latencyMax);
    fill(METRICS.packets, 'packets_received', srvr.received, { direction: 'received' });
    fill(METRICS.packets, 'packets_sent', srvr.sent, { direction: 'sent' });
    fill(METRICS.connections, 'num_alive_connections', srvr.connections);
    fill(METRICS.outstanding, 'outstanding_requests', srvr.outstanding);
    fill(METRICS.znodes, 'znode_count', srvr.nodeCount);
    fill(plainKeyMetric('last_proposal_size'), 'last_proposal_size', srvr.proposalSizeLast);
    fill(plainKeyMetric('min_proposal_size'), 'min_proposal_size', srvr.proposalSizeMin);
    fill(plainKeyMetric('max_proposal_size'), 'max_proposal_size', srvr.proposalSizeMax);
    if (srvr.zxid !== undefined) {
      const { epoch, counter } = splitZxid(srvr.zxid);
      add(METRICS.zxidEpoch, epoch);
      add(METRICS.zxidSequence, counter);
    }
  }

  private stateSamples(reported: string): void {
    const current = reported.replace('-', '_');
    for (const state of SERVER_STATES) this.push(METRICS.serverState, this.withState(state), state === current ? 1 : 0);
    if (!(SERVER_STATES as readonly string[]).includes(current)) this.push(METRICS.serverState, this.withState(current), 1);
  }

  /** Identity plus `state` (server, peer, unsynced followers), one object per state: a probe makes none. */
  private readonly stateAttributes = new Map<string, Attributes>();
  private withState(state: string): Attributes {
    let attributes = this.stateAttributes.get(state);
    if (!attributes) {
      attributes = this.attributes({ state });
      if (this.stateAttributes.size < MAX_CACHED) this.stateAttributes.set(state, attributes);
    }
    return attributes;
  }

  /** Identity plus the `version` of a reported version string (`3.8.0-<commit>, built on ...`), for the last one seen. */
  private version: { readonly reported: string; readonly attributes: Attributes } | undefined;
  private withVersion(reported: string): Attributes {
    if (this.version?.reported !== reported) this.version = { reported, attributes: this.attributes({ version: reported.split(',')[0]! }) };
    return this.version.attributes;
  }

  private extraAttributesOf(mapping: KeyMapping): Attributes {
    let attributes = this.extraAttributes.get(mapping);
    if (!attributes) {
      attributes = this.attributes(mapping.extra!);
      if (this.extraAttributes.size < MAX_CACHED) this.extraAttributes.set(mapping, attributes);
    }
    return attributes;
  }

  /** Identity plus extra attributes, built once per distinct extra set. */
  private attributes(extra: Attributes): Attributes {
    if (extra === this.identity) return extra;
    const cacheKey = JSON.stringify(extra);
    let attributes = this.withExtra.get(cacheKey);
    if (!attributes) {
      attributes = Object.freeze({ ...this.identity, ...extra });
      // Bounded: extra sets come from a finite catalog plus per-key values; a runaway value would only grow this.
      if (this.withExtra.size < MAX_CACHED) this.withExtra.set(cacheKey, attributes);
    }
    return attributes;
  }

  /** One descriptor per key for every endpoint, so that endpoints' series are the same sequence (interned). */
  private infoMetric(key: string): MetricDescriptor {
    return describeOnce(`zookeeper.${key}.info`, 'gauge', {
      valueType: 'int',
      description: `The zk_${key} string reported by mntr, as the value attribute.`,
    });
  }
}

/** The descriptor of a key whose mapping depends on nothing else (srvr fill-in), made once. */
const PLAIN_KEY_METRICS = new Map<string, MetricDescriptor>();
function plainKeyMetric(key: string): MetricDescriptor {
  let metric = PLAIN_KEY_METRICS.get(key);
  if (!metric) PLAIN_KEY_METRICS.set(key, (metric = mapKey(key, EMPTY).metric));
  return metric;
}

/** The naming rule for one numeric mntr key (without `zk_`). */
export function mapKey(key: string, reply: ReadonlyMap<string, number>): KeyMapping {
  const { metric, extra } = mapKeyWithDependence(key, reply);
  return extra ? { metric, extra } : { metric };
}

/** mapKey, and the key of the reply the answer depended on (`cnt_<rest>`: a summary family recognised by it), if any. */
function mapKeyWithDependence(key: string, reply: ReadonlyMap<string, number>): KeyMapping & { countKey?: string } {
  const spec = OTEL_MNTR_METRICS[key];
  if (spec) return { metric: otel(key), extra: spec.attributes };
  const summary = SUMMARY_KEY.exec(key);
  let countKey: string | undefined;
  if (summary) {
    const [, stat, rest] = summary as unknown as [string, string, string];
    if (!SUMMARY_FAMILIES.has(rest) && !Object.keys(SUMMARY_SET_FAMILIES).some((family) => rest.endsWith(`_${family}`))) countKey = `cnt_${rest}`;
    const family = summaryFamily(rest, reply);
    if (family) {
      const suffix = STAT_SUFFIX[stat] ?? stat;
      const kind = stat === 'cnt' || stat === 'sum' ? 'counter' : 'gauge';
      const inMs = family.name.endsWith('_ms');
      const name = inMs ? family.name.slice(0, -3) : family.name;
      const unit = stat !== 'cnt' && (inMs || /latency|time/.test(name)) ? 'ms' : '';
      const metric = describeOnce(`zookeeper.${name}.${suffix}`, kind, {
        unit,
        valueType: stat === 'cnt' ? 'int' : 'double',
        description: `${STAT_DESCRIPTIONS[stat]} of ${name}, from mntr.`,
      });
      return { metric, ...(family.label ? { extra: family.label } : {}), ...(countKey ? { countKey } : {}) };
    }
  }
  const kind = COUNTER_KEYS.has(key) ? 'counter' : 'gauge';
  return {
    metric: describeOnce(`zookeeper.${key}`, kind, { valueType: kind === 'counter' ? 'int' : 'double', description: `mntr zk_${key}.` }),
    ...(countKey ? { countKey } : {}),
  };
}

const STAT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  avg: 'Average',
  min: 'Minimum',
  max: 'Maximum',
  cnt: 'Number of observations',
  sum: 'Sum of observations',
  p50: 'Median (recent window)',
  p95: '95th percentile (recent window)',
  p99: '99th percentile (recent window)',
  p999: '99.9th percentile (recent window)',
};

function summaryFamily(rest: string, reply: ReadonlyMap<string, number>): { name: string; label?: Attributes } | undefined {
  // Exact families first: `quorum_ack_latency` is a family of its own, not server "quorum" of `ack_latency`.
  if (SUMMARY_FAMILIES.has(rest)) return { name: rest };
  for (const [family, labelName] of Object.entries(SUMMARY_SET_FAMILIES)) {
    if (rest.endsWith(`_${family}`)) return { name: family, label: { [labelName]: rest.slice(0, -family.length - 1) } };
  }
  if (!reply.has(`cnt_${rest}`)) return undefined;
  const bySid = SERVER_ID_PREFIX.exec(rest);
  return bySid ? { name: bySid[2]!, label: { server_id: bySid[1]! } } : { name: rest };
}

/** Followers not yet synced: 3.4/3.5 report zk_followers; 3.6+ report zk_learners (followers and observers). */
function unsyncedFollowers(numbers: ReadonlyMap<string, number>): number | undefined {
  const synced = numbers.get('synced_followers');
  if (synced === undefined) return undefined;
  const followers = numbers.get('followers');
  if (followers !== undefined) return Math.max(0, followers - synced);
  const learners = numbers.get('learners');
  if (learners === undefined) return undefined;
  // Not minus zk_synced_non_voting_followers: Leader.getNonVotingFollowers() is a subset of the forwarding
  // (synced) followers that zk_synced_followers already counts.
  return Math.max(0, learners - synced - (numbers.get('synced_observers') ?? 0));
}
