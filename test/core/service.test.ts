import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defer, map, Subject } from 'rxjs';
import { z } from 'zod';
import { BUILTIN_FACTORIES } from '../../src/components.js';
import type { Batch } from '../../src/core/batch.js';
import { defineExporter, defineProcessor, defineReceiver, type Exporter } from '../../src/core/component.js';
import { configObject } from '../../src/core/config/schema.js';
import { resolveConfig } from '../../src/core/config/resolve.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { Registry } from '../../src/core/registry.js';
import { Service } from '../../src/core/service.js';
import { batchOf, GAUGE } from '../harness/batches.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/process.js';
import { testSettings } from '../harness/settings.js';

describe('every built-in component', () => {
  for (const factory of BUILTIN_FACTORIES) {
    it(`${factory.kind} ${factory.type}: each default config is a fresh object, and the component runs create → start → consume → shutdown twice`, async () => {
      const defaults = factory.createDefaultConfig();
      // A component that changed its config in place must not change the next one's defaults (a shared `.default()` object would).
      const pristine = structuredClone(defaults);
      scribble(defaults);
      assert.deepEqual(factory.createDefaultConfig(), pristine);
      const fresh = factory.createDefaultConfig();
      const settings = testSettings(factory.type);
      if (factory.kind === 'exporter') {
        // Nothing listens for OTLP here: a short timeout keeps its shutdown flush quick.
        const overrides: Record<string, unknown> = { prometheus: { endpoint: `127.0.0.1:${await freePort()}` }, otlp: { timeout: '200ms' } };
        const config = factory.type in overrides ? factory.configSchema.parse(overrides[factory.type]) : fresh;
        const exporter = factory.createExporter(settings, config);
        await exporter.shutdown();
        const again = factory.createExporter(settings, config);
        await again.start();
        again.consume(batchOf('s', [[GAUGE, 1]]));
        await again.shutdown();
        await again.shutdown();
      } else if (factory.kind === 'receiver') {
        const receiver = factory.createReceiver(settings, factory.configSchema.parse({ endpoint: '127.0.0.1:1', initial_delay: '1h' }));
        receiver.batches.subscribe().unsubscribe();
        await receiver.shutdown?.();
      } else if (factory.kind === 'processor') {
        const processor = factory.createProcessor(settings, fresh);
        await processor.shutdown?.();
      } else {
        const config = factory.type === 'health_check' ? factory.configSchema.parse({ endpoint: `127.0.0.1:${await freePort()}` }) : fresh;
        const host = { status: () => ({ exportersStarted: true, firstRoundDone: true }) };
        await factory.createExtension(settings, config).shutdown();
        const extension = factory.createExtension(settings, config);
        await extension.start(host);
        await extension.shutdown();
        await extension.shutdown();
      }
    });
  }
});

/** Changes every object and array inside `value`, in place. */
function scribble(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) scribble(item);
    value.push('scribbled');
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) scribble(item);
    (value as Record<string, unknown>).scribbled = true;
  }
}

/** Test components: a receiver fed by hand, a processor that can be told to throw, an exporter that records. */
function testRegistry(events: string[], feed: Subject<Batch>, received: Batch[]) {
  const empty = configObject({}).prefault({});
  let failNext = false;
  const registry = new Registry([
    defineReceiver({
      attributes: [],
      type: 'manual',
      configSchema: empty,
      createReceiver: () => ({
        batches: defer(() => {
          events.push('receiver subscribed');
          return feed;
        }),
        shutdown: async () => void events.push('receiver shutdown'),
      }),
    }),
    defineProcessor({
      type: 'flaky',
      configSchema: empty,
      createProcessor: () => ({
        operator: map((batch: Batch) => {
          if (failNext) {
            failNext = false;
            throw new Error('stage failed');
          }
          return batch;
        }),
      }),
    }),
    defineExporter({
      type: 'recording',
      configSchema: configObject({ label: z.string().default('') }).prefault({}),
      createExporter: (settings, config): Exporter => ({
        start: async () => {
          if (config.label === 'broken') throw new Error('cannot listen');
          events.push(`${settings.id} started`);
        },
        consume: (batch) => void received.push(batch),
        shutdown: async () => void events.push(`${settings.id} shutdown`),
      }),
    }),
  ]);
  return { registry, failOnNextBatch: () => (failNext = true) };
}

function resolve(registry: Registry, value: Record<string, unknown>) {
  const resolution = resolveConfig({ value, problems: [], warnings: [], locate: () => undefined }, registry);
  assert.deepEqual(resolution.problems, []);
  return resolution.config!;
}

describe('service', () => {
  it('starts exporters before receivers, stops in reverse, and shares a receiver between pipelines', async () => {
    const events: string[] = [];
    const feed = new Subject<Batch>();
    const received: Batch[] = [];
    const { registry } = testRegistry(events, feed, received);
    const config = resolve(registry, {
      receivers: { manual: {} },
      exporters: { recording: {}, 'recording/second': {} },
      service: { pipelines: { metrics: { receivers: ['manual'], exporters: ['recording'] }, 'metrics/copy': { receivers: ['manual'], exporters: ['recording/second'] } } },
    });
    const service = await Service.start(config, silentLogger);
    feed.next(batchOf('src', [[GAUGE, 1]]));
    await service.shutdown();
    await service.shutdown();
    assert.deepEqual(events, ['recording started', 'recording/second started', 'receiver subscribed', 'receiver shutdown', 'recording/second shutdown', 'recording shutdown']);
    assert.deepEqual(received.map((batch) => batch.source).sort(), ['metrics/copy|src', 'metrics|src'], 'each pipeline keeps its own snapshot of a shared source');
  });

  it('restarts a pipeline whose stage throws, logging the error, and keeps delivering', async () => {
    const events: string[] = [];
    const feed = new Subject<Batch>();
    const received: Batch[] = [];
    const logs: string[] = [];
    const { registry, failOnNextBatch } = testRegistry(events, feed, received);
    const config = resolve(registry, {
      receivers: { manual: {} },
      processors: { flaky: {} },
      exporters: { recording: {} },
      service: { pipelines: { metrics: { receivers: ['manual'], processors: ['flaky'], exporters: ['recording'] } } },
    });
    const service = await Service.start(config, createLogger('info', (line) => logs.push(line)));
    try {
      failOnNextBatch();
      feed.next(batchOf('first', [[GAUGE, 1]]));
      await pollUntil(() => events.filter((event) => event === 'receiver subscribed').length === 2 || undefined, { timeoutMs: 5000, what: 'the pipeline to resubscribe' });
      feed.next(batchOf('second', [[GAUGE, 2]]));
      assert.deepEqual(received.map((batch) => batch.source), ['metrics|second']);
      assert.equal(logs.filter((line) => line.includes('pipeline failed; restarting it') && line.includes('stage failed')).length, 1);
    } finally {
      await service.shutdown();
    }
  });
});

describe('service reconfigure', () => {
  const base = (exporters: Record<string, unknown>, pipelineExporters: string[]) => ({
    receivers: { manual: {} },
    exporters,
    service: { pipelines: { metrics: { receivers: ['manual'], exporters: pipelineExporters } } },
  });

  it('keeps collecting with the exporters that run when a new one fails to start, and stops them all on shutdown', async () => {
    const events: string[] = [];
    const feed = new Subject<Batch>();
    const received: Batch[] = [];
    const { registry } = testRegistry(events, feed, received);
    const service = await Service.start(resolve(registry, base({ recording: {} }, ['recording'])), silentLogger);
    await assert.rejects(service.reconfigure(resolve(registry, base({ recording: {}, 'recording/new': { label: 'broken' } }, ['recording', 'recording/new']))), /exporter "recording\/new": cannot listen/);
    feed.next(batchOf('after', [[GAUGE, 1]]));
    assert.deepEqual(received.map((batch) => batch.source), ['metrics|after'], 'the kept exporter still gets batches');
    await service.shutdown();
    assert.deepEqual(events.filter((event) => event.startsWith('recording')), ['recording started', 'recording/new shutdown', 'recording shutdown'], 'the one that failed to start was shut down too');
  });

  it('a shutdown during a reconfigure leaves nothing running', async () => {
    const events: string[] = [];
    const feed = new Subject<Batch>();
    const { registry } = testRegistry(events, feed, []);
    const service = await Service.start(resolve(registry, base({ recording: {} }, ['recording'])), silentLogger);
    const reconfiguring = service.reconfigure(resolve(registry, base({ 'recording/other': {} }, ['recording/other'])));
    await service.shutdown();
    await reconfiguring.catch(() => {});
    assert.equal(feed.observed, false, 'no pipeline subscribed after shutdown');
    const started = events.filter((event) => event.endsWith('started')).map((event) => event.split(' ')[0]);
    const stopped = events.filter((event) => event.endsWith('shutdown') && event.startsWith('recording')).map((event) => event.split(' ')[0]);
    assert.deepEqual(started.sort(), stopped.sort(), 'every exporter started was shut down');
    await assert.rejects(service.reconfigure(resolve(registry, base({ recording: {} }, ['recording']))), /shutting down/);
  });
});
