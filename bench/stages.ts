/**
 * Samples per second through `relabel` (5 rules of mixed actions) + `filter`, on realistic batches: the real 3.8.0
 * leader mntr (~530 series per server) for 3 servers. Goal: >= 2 million samples/s on one core.
 * "steady" is what a running agent sees: the receiver reuses attribute and descriptor objects, so each series is
 * rewritten once and then looked up. "first sight" gives every batch new attribute objects, so every series is
 * rewritten every time (the worst case, e.g. right after start). Run: node --expose-gc dist/bench/stages.js
 */
import { Subject } from 'rxjs';
import type { Batch } from '../src/core/batch.js';
import { filterProcessorFactory } from '../src/processors/filter/factory.js';
import { relabelProcessorFactory } from '../src/processors/relabel/factory.js';
import { parseMntr } from '../src/receivers/zookeeper/parse.js';
import { SampleMapper } from '../src/receivers/zookeeper/samples.js';
import { readMntrFixture } from '../test/harness/fixtures.js';
import { testSettings } from '../test/harness/settings.js';
import { fmt, heapNote, heapPerOp, runSync } from './measure.js';

const relabel = relabelProcessorFactory.configSchema.parse({
  rules: [
    { source_labels: ['__name__'], regex: 'zookeeper_(.*)', target_label: '__name__', replacement: 'zk_${1}' },
    { source_labels: ['zk_endpoint'], regex: '([^:]+):(\\d+)', target_label: 'host', replacement: '$1' },
    { action: 'labeldrop', regex: 'zk_cluster' },
    { source_labels: ['__name__'], regex: 'zk_.*_p999', action: 'drop' },
    { action: 'labelmap', regex: 'zk_(endpoint)', replacement: 'instance' },
  ],
});
const filter = filterProcessorFactory.configSchema.parse({ metrics: { exclude: { match_type: 'regexp', metric_names: ['zk_.*_p95'] } } });

const mntr = parseMntr(readMntrFixture('mntr-3.8.0-leader.txt'));
const SERVERS = 3;
const batchesFor = (mappers: SampleMapper[]): Batch[] =>
  mappers.map((mapper, i) => ({
    source: `zookeeper|server-${i}`,
    timeMs: 0,
    startTimeMs: 0,
    samples: mapper.toSamples({ replies: { mntr }, failures: [], durationMs: 1 }, 0),
  }));
const newMappers = () =>
  Array.from({ length: SERVERS }, (_, i) => new SampleMapper(Object.freeze({ 'zk.endpoint': `10.0.0.${i}:2181`, 'zk.cluster': 'main' })));

/** Rules that match nothing: what a pipeline costs when it changes nothing (it must not allocate per sample). */
const relabelNoop = relabelProcessorFactory.configSchema.parse({
  rules: [
    { source_labels: ['__name__'], regex: 'nothing_(.*)', target_label: '__name__', replacement: 'zk_${1}' },
    { action: 'labeldrop', regex: 'absent' },
    { source_labels: ['__name__'], regex: 'zk_.*_p999', action: 'drop' },
    { source_labels: ['zk_endpoint'], regex: 'nowhere', target_label: 'host' },
    { action: 'labelmap', regex: 'absent_(.*)' },
  ],
});
const filterNoop = filterProcessorFactory.configSchema.parse({ metrics: { exclude: { match_type: 'regexp', metric_names: ['nothing\\..*'] } } });

let samplesOut = 0;
function stages(relabelConfig: typeof relabel, filterConfig: typeof filter): Subject<Batch> {
  const input = new Subject<Batch>();
  input
    .pipe(
      relabelProcessorFactory.createProcessor(testSettings('relabel'), relabelConfig).operator,
      filterProcessorFactory.createProcessor(testSettings('filter'), filterConfig).operator,
    )
    .subscribe((batch) => (samplesOut += batch.samples.length));
  return input;
}

const report = (what: string, perRound: number, cpuUsPerRound: number, extra: string) =>
  console.log(
    `relabel(5 rules)+filter, ${what} (${SERVERS} servers x ${perRound / SERVERS} series): ` +
      `${fmt(perRound / cpuUsPerRound, 2)} M samples/s per core, ${fmt((cpuUsPerRound * 1000) / perRound, 0)} ns CPU/sample; ${extra}`,
  );

// Steady state: the same mappers every round, as one receiver over time. Batches are built outside the timing.
const steadyMappers = newMappers();
const pool = Array.from({ length: 64 }, () => batchesFor(steadyMappers));
const perRound = pool[0]!.reduce((sum, batch) => sum + batch.samples.length, 0);
for (const [what, input] of [
  ['steady, renaming every series', stages(relabel, filter)],
  ['steady, rules that change nothing', stages(relabelNoop, filterNoop)],
] as const) {
  let round = 0;
  const op = () => {
    for (const batch of pool[round++ % pool.length]!) input.next(batch);
  };
  samplesOut = 0;
  const timing = runSync(op, { warmup: 64, minMs: 1500 });
  const outPerRound = samplesOut / (timing.iterations + 64);
  report(what, perRound, timing.cpuUs, `${fmt(outPerRound, 0)} samples out per round; ${heapNote(heapPerOp(op))}`);
}

// First sight: new attribute objects every round, so every series goes through every rule.
const fresh = Array.from({ length: 200 }, () => batchesFor(newMappers()));
const firstSight = stages(relabel, filter);
const started = process.cpuUsage();
for (const batches of fresh) for (const batch of batches) firstSight.next(batch);
const used = process.cpuUsage(started);
report('first sight', perRound, (used.user + used.system) / fresh.length, 'every series rewritten');
