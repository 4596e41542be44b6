import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from, lastValueFrom, of, toArray } from 'rxjs';
import { describeMetric, type Batch } from '../../../src/core/batch.js';
import type { Logger } from '../../../src/core/logger.js';
import { createLogger } from '../../../src/core/logger.js';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { transformProcessorConfigSchema } from '../../../src/processors/transform/config.js';
import { transformProcessorFactory } from '../../../src/processors/transform/factory.js';
import { batchOf, COUNTER } from '../../harness/batches.js';
import { testSettings } from '../../harness/settings.js';

const AVG = describeMetric('zookeeper.latency.avg', 'gauge', { unit: 'ms', description: 'Average latency.', valueType: 'int' });
const P99 = describeMetric('zookeeper.latency.p99', 'gauge', { unit: 'ms', description: 'p99 latency.' });
const PACKETS = describeMetric('zookeeper.packet.count', 'counter', { valueType: 'int', description: 'Packets.' });
const node = Object.freeze({ 'zk.endpoint': 'a:2181' });

/** Runs batches through one subscription of a transform processor built from `rules`. */
async function run(rules: unknown[], batches: Batch[], logger?: Logger): Promise<Batch[]> {
  const config = transformProcessorConfigSchema.parse({ metrics: rules });
  const processor = transformProcessorFactory.createProcessor(testSettings('transform/test', logger), config);
  return lastValueFrom(from(batches).pipe(processor.operator, toArray()));
}

async function runOne(rules: unknown[], batch: Batch, logger?: Logger): Promise<Batch> {
  return (await run(rules, [batch], logger))[0]!;
}

const view = (batch: Batch) => batch.samples.map(({ metric, value }) => ({ ...metric, value }));

function problems(rules: unknown[]): string[] {
  const parsed = transformProcessorConfigSchema.safeParse({ metrics: rules }, { reportInput: true });
  return parsed.success ? [] : schemaProblems(parsed.error).map((problem) => `${problem.path.join('.')}: ${problem.message}`);
}

describe('transform processor config', () => {
  it('defaults to no rules', () => {
    assert.deepEqual(transformProcessorFactory.createDefaultConfig(), { metrics: [] });
  });

  it('accepts every rule kind', () => {
    assert.deepEqual(
      problems([
        { match: 'a', name: 'b' },
        { match_regexp: 'a(.*)', name: 'b.${1}', scale: 0.001, unit: 's', description: 'd' },
        { match_regexp: '.*', type: 'gauge' },
      ]),
      [],
    );
  });

  it('reports an invalid regex with its path', () => {
    assert.deepEqual(
      problems([
        { match: 'a', name: 'b' },
        { match_regexp: 'zookeeper\\.(.+', name: 'x' },
      ]),
      ['metrics.1.match_regexp: invalid regular expression "zookeeper\\\\.(.+": missing closing )'],
    );
    assert.match(problems([{ match_regexp: '(?<=a)b', unit: 's' }]).join(), /^metrics\.0\.match_regexp: invalid regular expression/);
  });

  it('refuses gauge -> counter, and any type but gauge, at config time', () => {
    assert.deepEqual(problems([{ match: 'a', type: 'counter' }]), [
      'metrics.0.type: type: counter is not supported: a gauge may go down, so it cannot become a counter; only counter → gauge (type: gauge) is sound',
    ]);
    assert.match(problems([{ match: 'a', type: 'untyped' }]).join(), /^metrics\.0\.type: invalid type "untyped": the only supported type is gauge/);
  });

  it('needs exactly one of match and match_regexp, and at least one change', () => {
    assert.deepEqual(problems([{ name: 'b' }]), ['metrics.0: set exactly one of match (a metric name) and match_regexp (a regex)']);
    assert.deepEqual(problems([{ match: 'a', match_regexp: 'a', name: 'b' }]), [
      'metrics.0: set exactly one of match (a metric name) and match_regexp (a regex)',
    ]);
    assert.deepEqual(problems([{ match: 'a' }]), ['metrics.0: the rule changes nothing: set at least one of name, scale, unit, description, type']);
    assert.deepEqual(problems([{ match: 'a', rename: 'b' }]), [
      'metrics.0.rename: unknown key "rename" (valid keys: description, match, match_regexp, name, scale, type, unit)',
      'metrics.0: the rule changes nothing: set at least one of name, scale, unit, description, type',
    ]);
  });

  it('checks names that do not depend on the match, and group references, at config time', () => {
    assert.match(problems([{ match: 'a', name: '9lives' }]).join(), /^metrics\.0\.name: invalid metric name "9lives": must start with a letter/);
    assert.match(problems([{ match_regexp: 'a.*', name: 'has space' }]).join(), /^metrics\.0\.name: invalid metric name "has space"/);
    assert.match(problems([{ match: 'a', name: 'x'.repeat(256) }]).join(), /^metrics\.0\.name: invalid metric name "x+": .*at most 255 characters$/);
    assert.deepEqual(problems([{ match: 'a', name: 'x'.repeat(255) }]), []);
    assert.match(
      problems([{ match_regexp: 'zk\\.(.+)', name: 'zk.$1x' }]).join(),
      /^metrics\.0\.name: "zk\.\$1x" refers to a group that match_regexp does not have .*write \$\{1\}x/,
    );
    assert.match(problems([{ match_regexp: 'zk\\.(.+)', name: 'zk.${what}' }]).join(), /^metrics\.0\.name: .* refers to a group/);
    assert.match(problems([{ match_regexp: 'a', scale: 0 }]).join(), /^metrics\.0\.scale: must be a positive number/);
    assert.match(problems([{ match_regexp: 'a', scale: -1 }]).join(), /^metrics\.0\.scale: must be a positive number/);
  });
});

describe('transform processor', () => {
  it('renames a metric matched by its exact name, keeping everything else', async () => {
    const batch = batchOf('a', [
      [AVG, 3, node],
      [P99, 7, node],
    ]);
    const out = await runOne([{ match: 'zookeeper.latency.avg', name: 'zookeeper.latency.average' }], batch);
    assert.deepEqual(view(out)[0], { ...AVG, name: 'zookeeper.latency.average', value: 3 });
    assert.equal(out.samples[0]!.attributes, node, 'attributes are passed on as they are');
    assert.equal(out.samples[1], batch.samples[1], 'samples of other metrics are passed on as they are');
    assert.equal(await runOne([{ match: 'zookeeper.latency', name: 'x' }], batch), batch, 'exact: no prefix match');
  });

  it('renames by fully anchored regex with Go templates: $1, ${1}, $name, ${name}, $$', async () => {
    const batch = batchOf('a', [
      [P99, 7],
      [AVG, 3],
      [describeMetric('my.zookeeper.latency.p99', 'gauge'), 1],
    ]);
    const names = async (regex: string, name: string) => (await runOne([{ match_regexp: regex, name }], batch)).samples.map((s) => s.metric.name);
    assert.deepEqual(await names('zookeeper\\.(.+)\\.p99', 'zk.$1.p99'), ['zk.latency.p99', 'zookeeper.latency.avg', 'my.zookeeper.latency.p99']);
    assert.deepEqual(await names('zookeeper\\.(.+)\\.(p99|avg)', 'zk.${1}_${2}'), ['zk.latency_p99', 'zk.latency_avg', 'my.zookeeper.latency.p99']);
    assert.deepEqual(await names('zookeeper\\.(?P<what>[a-z]+)\\..*', 'zk.$what'), ['zk.latency', 'zk.latency', 'my.zookeeper.latency.p99']);
    assert.deepEqual(await names('zookeeper\\.(?P<what>[a-z]+)\\..*', 'zk.${what}x'), ['zk.latencyx', 'zk.latencyx', 'my.zookeeper.latency.p99']);
    assert.deepEqual(await names('zookeeper\\.(.+)\\.(p99|avg)', 'zk.${2}1'), ['zk.p991', 'zk.avg1', 'my.zookeeper.latency.p99']);
    assert.deepEqual(await names('.*p99', 'p99'), ['p99', 'zookeeper.latency.avg', 'p99'], 'no template: a literal name');
    assert.deepEqual(
      await names('my\\.(.*)|(zookeeper)\\.latency\\.avg', 'x.${1}${2}'),
      ['zookeeper.latency.p99', 'x.zookeeper', 'x.zookeeper.latency.p99'],
      'a group that took no part expands to nothing',
    );
  });

  it('scales values and sets unit and description; fractions make int metrics double', async () => {
    const batch = batchOf('a', [
      [P99, 7, node],
      [AVG, 3, node],
    ]);
    const out = await runOne([{ match_regexp: 'zookeeper\\.(.+)\\.(p99|avg)', name: 'zk.$1.$2', scale: 0.001, unit: 's', description: 'In seconds.' }], batch);
    assert.deepEqual(view(out), [
      { name: 'zk.latency.p99', kind: 'gauge', valueType: 'double', unit: 's', description: 'In seconds.', value: 0.007 },
      { name: 'zk.latency.avg', kind: 'gauge', valueType: 'double', unit: 's', description: 'In seconds.', value: 0.003 },
    ]);
    const scaledUp = await runOne([{ match: 'zookeeper.latency.avg', scale: 1000, unit: 'us' }], batch);
    assert.deepEqual(view(scaledUp)[1], { ...AVG, unit: 'us', value: 3000 }, 'a whole scale keeps int');
    const scaleOnly = await runOne([{ match: 'zookeeper.latency.p99', scale: 2 }], batch);
    assert.equal(scaleOnly.samples[0]!.metric, P99, 'scale alone keeps the descriptor');
    assert.equal(scaleOnly.samples[0]!.value, 14);
    assert.equal(scaleOnly.samples[1], batch.samples[1]);
  });

  it('turns counters into gauges, and leaves gauges as they are', async () => {
    const batch = batchOf('a', [
      [PACKETS, 10, node],
      [AVG, 3, node],
      [COUNTER, 1],
    ]);
    const out = await runOne([{ match_regexp: 'zookeeper\\..*', type: 'gauge' }], batch);
    assert.deepEqual(view(out)[0], { ...PACKETS, kind: 'gauge', value: 10 });
    assert.equal(out.samples[1], batch.samples[1], 'a gauge stays the same sample');
    assert.equal(out.samples[2], batch.samples[2], 'an unmatched counter stays');
    const gauges = batchOf('a', [[AVG, 3, node]]);
    assert.equal(await runOne([{ match_regexp: 'zookeeper\\..*', type: 'gauge' }], gauges), gauges, 'nothing to change: the same batch');
  });

  it('applies rules in order, each to the metric as the previous ones left it', async () => {
    const batch = batchOf('a', [
      [AVG, 3],
      [P99, 7],
    ]);
    const out = await runOne(
      [
        { match: 'zookeeper.latency.avg', name: 'zk.latency.avg', scale: 0.5 },
        { match: 'zookeeper.latency.avg', unit: 'never', description: 'the old name no longer matches' },
        { match_regexp: 'zk\\.(.*)', name: 'zk2.$1', scale: 0.5, description: 'matched the new name' },
        { match_regexp: 'zk2\\..*|zookeeper\\.latency\\.p99', unit: 'us', scale: 4 },
      ],
      batch,
    );
    assert.deepEqual(view(out), [
      { name: 'zk2.latency.avg', kind: 'gauge', valueType: 'int', unit: 'us', description: 'matched the new name', value: 3 },
      { ...P99, unit: 'us', value: 28 },
    ]);
  });

  it('passes a batch in which nothing changes on as the same object', async () => {
    const batch = batchOf('a', [
      [AVG, 3, node],
      [P99, 7, node],
    ]);
    const config = transformProcessorConfigSchema.parse({
      metrics: [
        { match: 'other', name: 'x' },
        { match_regexp: 'zookeeper\\.latency\\.p99', unit: 'ms', description: 'p99 latency.' },
      ],
    });
    const out = await lastValueFrom(of(batch).pipe(transformProcessorFactory.createProcessor(testSettings('transform'), config).operator));
    assert.equal(out, batch, 'rules that match but set what is already there change nothing');
    const none = transformProcessorFactory.createProcessor(testSettings('transform'), transformProcessorFactory.createDefaultConfig());
    assert.equal(await lastValueFrom(of(batch).pipe(none.operator)), batch);
  });

  it('gives each input descriptor one output descriptor, stable across batches and subscriptions', async () => {
    const config = transformProcessorConfigSchema.parse({ metrics: [{ match_regexp: 'zookeeper\\.latency\\.(.*)', name: 'zk.$1' }] });
    const processor = transformProcessorFactory.createProcessor(testSettings('transform'), config);
    const batch = () =>
      batchOf('a', [
        [AVG, 1, { n: '1' }],
        [AVG, 2, { n: '2' }],
        [P99, 3],
      ]);
    const [first, second] = await lastValueFrom(from([batch(), batch()]).pipe(processor.operator, toArray()));
    const [again] = await lastValueFrom(from([batch()]).pipe(processor.operator, toArray()));
    const metrics = (b: Batch | undefined) => b!.samples.map((s) => s.metric);
    const [avg, avg2, p99] = metrics(first);
    assert.equal(avg, avg2, 'one descriptor for every series of a metric');
    assert.notEqual(avg, p99);
    assert.ok(Object.isFrozen(avg));
    assert.deepEqual(metrics(second), [avg, avg, p99]);
    assert.deepEqual(metrics(again), [avg, avg, p99]);
  });

  it('leaves a metric unchanged when its name template gives an invalid name, logs once, and goes on with later rules', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('warn', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const odd = describeMetric('zookeeper.9lives', 'gauge', { unit: 'ms' });
    const batch = batchOf('a', [
      [odd, 1, { n: '1' }],
      [odd, 2, { n: '2' }],
      [AVG, 3],
    ]);
    const rules = [
      { match_regexp: 'zookeeper\\.(.*)', name: '$1', unit: 'never' },
      { match_regexp: '.*\\.9lives', unit: 's' },
    ];
    const out = await run(rules, [batch, batch], logger);
    assert.deepEqual(
      view(out[1]!).map(({ name, unit }) => [name, unit]),
      [
        ['zookeeper.9lives', 's'],
        ['zookeeper.9lives', 's'],
        ['latency.avg', 'never'],
      ],
    );
    assert.deepEqual(
      lines.map(({ level, metric, rule, name }) => ({ level, metric, rule, name })),
      [{ level: 'warn', metric: 'zookeeper.9lives', rule: 0, name: '9lives' }],
    );
    assert.match(String(lines[0]!.msg), /metrics\[0\] left metric "zookeeper\.9lives" unchanged: .*invalid metric name "9lives"/);
  });
});
