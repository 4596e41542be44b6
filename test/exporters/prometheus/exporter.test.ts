import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { describeMetric, sourceGone } from '../../../src/core/batch.js';
import { createLogger } from '../../../src/core/logger.js';
import { prometheusExporterFactory } from '../../../src/exporters/prometheus/factory.js';
import { acceptsGzip, type PrometheusExporter } from '../../../src/exporters/prometheus/exporter.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';
import { scrape, select } from '../../harness/exposition.js';
import { freePort } from '../../harness/ports.js';
import { testSettings } from '../../harness/settings.js';

async function withExporter(
  config: Record<string, unknown>,
  test: (exporter: PrometheusExporter, url: string) => Promise<void>,
  logs: string[] = [],
): Promise<void> {
  const endpoint = `127.0.0.1:${await freePort()}`;
  const parsed = prometheusExporterFactory.configSchema.parse({ endpoint, ...config });
  const exporter = prometheusExporterFactory.createExporter(
    testSettings(
      'prometheus',
      createLogger('info', (line) => logs.push(line)),
    ),
    parsed,
  ) as PrometheusExporter;
  await exporter.start();
  try {
    await test(exporter, `http://${endpoint}${parsed.path}`);
  } finally {
    await exporter.shutdown();
  }
}

/** GET with an explicit Accept-Encoding; the raw (still compressed) body. */
function get(url: string, acceptEncoding: string | undefined): Promise<{ body: Buffer; encoding: string | undefined; length: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ body: Buffer.concat(chunks), encoding: response.headers['content-encoding'], length: response.headers['content-length'] }),
        );
      })
      .on('error', reject);
  });
}

describe('prometheus exporter: encoding and shared renderings', () => {
  it('gzips when asked (Prometheus asks); the gzipped body decompresses to the plain one', () =>
    withExporter({}, async (exporter, url) => {
      exporter.consume(
        batchOf('a', [
          [GAUGE, 1, { node: 'a' }],
          [COUNTER, 5, { node: 'a' }],
        ]),
      );
      const plain = await get(url, undefined);
      const gzipped = await get(url, 'gzip');
      assert.equal(plain.encoding, undefined);
      assert.equal(gzipped.encoding, 'gzip');
      assert.equal(Number(gzipped.length), gzipped.body.length);
      // The agent's own zkotel_* values move between two scrapes (it counts them): compare the rest.
      const strip = (text: string) =>
        text
          .split('\n')
          .filter((line) => !/^(# (HELP|TYPE|UNIT) )?zkotel_/.test(line))
          .join('\n');
      assert.equal(strip(gunzipSync(gzipped.body).toString('utf8')), strip(plain.body.toString('utf8')));
      assert.match(gunzipSync(gzipped.body).toString('utf8'), /^test_temperature\{node="a"\} 1$/m);
      assert.equal((await get(url, 'gzip;q=0, identity')).encoding, undefined);
    }));

  it('a scrape without gzip after a gzipped one (whose plain bytes were dropped) gets the same body', () =>
    withExporter({}, async (exporter, url) => {
      for (let i = 0; i < 3; i++) exporter.consume(batchOf(`s${i}`, [[GAUGE, i, { node: String(i) }]]));
      const gzipped = await get(url, 'gzip');
      const plain = await get(url, undefined);
      const again = await get(url, 'gzip');
      const series = (text: string) => text.split('\n').filter((line) => line.startsWith('test_temperature'));
      assert.deepEqual(series(plain.body.toString('utf8')), ['test_temperature{node="0"} 0', 'test_temperature{node="1"} 1', 'test_temperature{node="2"} 2']);
      assert.deepEqual(series(gunzipSync(gzipped.body).toString('utf8')), series(plain.body.toString('utf8')));
      assert.deepEqual(series(gunzipSync(again.body).toString('utf8')), series(plain.body.toString('utf8')));
    }));

  it('concurrent scrapes all get the whole body', () =>
    withExporter({}, async (exporter, url) => {
      for (let i = 0; i < 50; i++) exporter.consume(batchOf(`s${i}`, [[GAUGE, i, { node: String(i) }]]));
      const bodies = await Promise.all(Array.from({ length: 20 }, () => get(url, 'gzip')));
      for (const { body } of bodies)
        assert.equal(
          gunzipSync(body)
            .toString('utf8')
            .match(/^test_temperature\{/gm)?.length,
          50,
        );
    }));

  /** Sources enough that a body takes well over 10 ms to assemble (the exporter shares or prepares only such bodies). */
  const LARGE = { sources: 1_000, perSource: 100 };
  // The same attribute objects every time, as a receiver keeps them: the exporter's steady path.
  const largeAttributes = Array.from({ length: LARGE.sources }, (_, i) =>
    Array.from({ length: LARGE.perSource }, (_, k) => Object.freeze({ node: String(i), k: String(k) })),
  );
  const consumeLarge = (exporter: PrometheusExporter, value: number) =>
    largeAttributes.forEach((attributes, i) =>
      exporter.consume({ source: `s${i}`, timeMs: 1, startTimeMs: 0, samples: attributes.map((each) => ({ metric: GAUGE, value, attributes: each })) }),
    );
  /**
   * Gzip scrapes `gap(i)` ms apart (start to start); after each, every source's next batch (value i + 1), as probes
   * deliver between scrapes. Every body must hold every series with the value of the batches before it. Returns the
   * counts of bodies made, by trigger.
   */
  async function scrapeEvery(
    exporter: PrometheusExporter,
    url: string,
    gap: (i: number) => number,
    until: (made: Record<string, number>) => boolean,
    scrapes = 40,
  ) {
    const made: Record<string, number> = {};
    consumeLarge(exporter, 0);
    let next = performance.now();
    for (let i = 0; i < scrapes && !until(made); i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
      next += gap(i);
      const { body } = await get(url, 'gzip');
      consumeLarge(exporter, i + 1);
      const text = gunzipSync(body).toString('utf8');
      const values = [...text.matchAll(/^test_temperature\{.*\} (\S+)$/gm)].map((match) => Number(match[1]));
      assert.equal(values.length, LARGE.sources * LARGE.perSource, `scrape ${i}: every series`);
      assert.ok(
        values.every((value) => value === i),
        `scrape ${i}: the latest batches`,
      );
      for (const match of text.matchAll(/^zkotel_exporter_prometheus_bodies_total\{[^}]*trigger="(\w+)"[^}]*\} (\d+)$/gm)) made[match[1]!] = Number(match[2]);
    }
    return made;
  }

  it('scrapes at a steady interval get a body made ahead of them, holding every series', () =>
    withExporter({}, async (exporter, url) => {
      const made = await scrapeEvery(
        exporter,
        url,
        () => 400,
        (counts) => (counts.forecast ?? 0) >= 2,
      );
      assert.ok((made.forecast ?? 0) >= 2, JSON.stringify(made));
    }));

  it('irregular scrapes get no body made ahead', () =>
    withExporter({}, async (exporter, url) => {
      const gaps = [150, 450, 200, 600, 250];
      const made = await scrapeEvery(
        exporter,
        url,
        (i) => gaps[i % gaps.length]!,
        () => false,
      );
      assert.ok((made.scrape ?? 0) > 0 && made.forecast === undefined, JSON.stringify(made));
    }));

  it('acceptsGzip reads Accept-Encoding as HTTP defines it', () => {
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('identity, GZIP;q=0.5'), true);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('deflate'), false);
    assert.equal(acceptsGzip(undefined), false);
  });
});

describe('prometheus exporter', () => {
  it('serves the latest batch of each source: a new batch replaces the old one whole', () =>
    withExporter({}, async (exporter, url) => {
      exporter.consume(
        batchOf('a', [
          [GAUGE, 1, { node: 'a' }],
          [COUNTER, 5, { node: 'a' }],
        ]),
      );
      exporter.consume(batchOf('b', [[GAUGE, 2, { node: 'b' }]]));
      let { series } = await scrape(url);
      assert.deepEqual(
        select(series, 'test_temperature')
          .map((s) => [s.labels.node, s.value])
          .sort(),
        [
          ['a', 1],
          ['b', 2],
        ],
      );
      assert.equal(select(series, 'test_events_total', { node: 'a' })[0]?.value, 5);

      exporter.consume(batchOf('a', [[GAUGE, 3, { node: 'a' }]]));
      ({ series } = await scrape(url));
      assert.deepEqual(select(series, 'test_events_total'), [], 'a series the latest batch did not produce is gone');
      assert.deepEqual(
        select(series, 'test_temperature')
          .map((s) => [s.labels.node, s.value])
          .sort(),
        [
          ['a', 3],
          ['b', 2],
        ],
      );

      exporter.consume(batchOf('b', []));
      ({ series } = await scrape(url));
      assert.deepEqual(
        select(series, 'test_temperature').map((s) => s.labels.node),
        ['a'],
        'an empty batch: the source has no series',
      );

      exporter.consume(batchOf('b', [[GAUGE, 4, { node: 'b' }]]));
      exporter.forget(sourceGone('b', Date.now()));
      exporter.forget(sourceGone('never-seen', Date.now()));
      ({ series } = await scrape(url));
      assert.deepEqual(
        select(series, 'test_temperature').map((s) => s.labels.node),
        ['a'],
        'a source gone is forgotten',
      );
    }));

  it('keeps float values, types counters and gauges, and passes promtool', () =>
    withExporter({}, async (exporter, url) => {
      exporter.consume(
        batchOf('a', [
          [GAUGE, 0.0989],
          [COUNTER, 7],
        ]),
      );
      const { text, series } = await scrape(url);
      assert.equal(select(series, 'test_temperature')[0]?.value, 0.0989);
      assert.match(text, /^# TYPE test_temperature gauge$/m);
      assert.match(text, /^# TYPE test_events_total counter$/m);
      assert.doesNotMatch(text, /otel_scope/);
      assert.equal(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' }).trim(), '');
    }));

  it('exposes gauges with summary-reserved suffixes as untyped so promtool has nothing to say', () =>
    withExporter({}, async (exporter, url) => {
      exporter.consume(batchOf('a', [[describeMetric('zookeeper.znode.count', 'gauge', { description: 'Znodes.' }), 4]]));
      const { text } = await scrape(url);
      assert.match(text, /^# TYPE zookeeper_znode_count untyped$/m);
      assert.equal(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' }).trim(), '');
    }));

  it('adds the namespace prefix and constant labels, and can leave target_info out', () =>
    withExporter({ namespace: 'acme', const_labels: { dc: 'east' }, target_info: false }, async (exporter, url) => {
      exporter.consume(batchOf('a', [[GAUGE, 1, { node: 'a' }]]));
      const { series } = await scrape(url);
      // The agent's own zkotel_* series (a body made, scrapes served) come with every scrape.
      assert.deepEqual(
        series.filter((s) => !s.name.startsWith('acme_zkotel_')).map((s) => [s.name, s.labels]),
        [['acme_test_temperature', { dc: 'east', node: 'a' }]],
      );
      assert.ok(series.some((s) => s.name === 'acme_zkotel_exporter_prometheus_bodies_total' && s.labels.dc === 'east'));
    }));

  it('keeps one series when two sources produce the same one, and logs it once', async () => {
    const logs: string[] = [];
    await withExporter(
      {},
      async (exporter, url) => {
        exporter.consume(batchOf('a', [[GAUGE, 1, { node: 'x' }]]));
        exporter.consume(batchOf('b', [[GAUGE, 2, { node: 'x' }]]));
        for (let i = 0; i < 3; i++) assert.equal(select((await scrape(url)).series, 'test_temperature').length, 1);
      },
      logs,
    );
    assert.equal(logs.filter((line) => line.includes('the same series came from two sources')).length, 1);
  });

  it('answers 404 off its path and 405 to other methods', () =>
    withExporter({ path: '/custom' }, async (_exporter, url) => {
      assert.equal((await fetch(url)).status, 200);
      assert.equal((await fetch(url.replace('/custom', '/metrics'))).status, 404);
      assert.equal((await fetch(url, { method: 'POST' })).status, 405);
      const head = await fetch(url, { method: 'HEAD' });
      assert.equal(head.status, 200);
    }));

  it('fails to start with a clear message when the port is taken; shutdown is safe without start and twice', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const exporter = prometheusExporterFactory.createExporter(
        testSettings('prometheus'),
        prometheusExporterFactory.configSchema.parse({ endpoint: `127.0.0.1:${port}` }),
      );
      await assert.rejects(exporter.start(), { message: `cannot listen on 127.0.0.1:${port}: address already in use (is another agent running?)` });
      await exporter.shutdown();
      await exporter.shutdown();
    } finally {
      blocker.close();
    }
  });
});
