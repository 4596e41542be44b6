import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { defer, map, Subject } from 'rxjs';
import { z } from 'zod';
import { BUILTIN_FACTORIES } from '../../src/components.js';
import { isSourceGone, sourceGone, type Batch, type PipelineItem } from '../../src/core/batch.js';
import { defineExporter, defineExtension, defineProcessor, defineReceiver, type Exporter, type Host } from '../../src/core/component.js';
import { configObject } from '../../src/core/config/schema.js';
import { resolveConfig } from '../../src/core/config/resolve.js';
import { lazyModule } from '../../src/core/lazy-module.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { Registry } from '../../src/core/registry.js';
import { Service } from '../../src/core/service.js';
import { batchOf, GAUGE } from '../harness/batches.js';
import { freePort } from '../harness/ports.js';
import { pollUntil } from '../harness/process.js';
import { testSettings } from '../harness/settings.js';

describe('every built-in component', () => {
  for (const factory of BUILTIN_FACTORIES) {
    it(`${factory.kind} ${factory.type}: each default config is a fresh object, and the component runs create → start → consume → forget → shutdown twice`, async () => {
      await factory.load?.();
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
        again.forget(sourceGone('s', Date.now()));
        again.forget(sourceGone('never-seen', Date.now()));
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
        const listens = factory.type === 'health_check' || factory.type === 'status';
        const config = listens ? factory.configSchema.parse({ endpoint: `127.0.0.1:${await freePort()}` }) : fresh;
        const host = {
          status: () => ({ exportersStarted: true, firstRoundDone: true }),
          info: () => ({ pipelines: [], extensions: [], startedAtMs: Date.now() }),
          observePipelines: () => () => {},
        };
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
/** An exporter whose implementation is imported on demand (src/core/lazy-module.ts): creating one before the load throws. */
function lazyExporter(type: string, importModule: () => Promise<object>, events: string[]) {
  const implementation = lazyModule(`exporter ${type}`, importModule);
  return defineExporter({
    type,
    configSchema: configObject({}).prefault({}),
    load: implementation.load,
    createExporter: (settings): Exporter => {
      implementation.get();
      events.push(`${settings.id} created`);
      return { start: async () => {}, consume: () => {}, forget: () => {}, shutdown: async () => {} };
    },
  });
}

function testRegistry(events: string[], feed: Subject<PipelineItem>, received: PipelineItem[], hosts: Host[] = []) {
  const empty = configObject({}).prefault({});
  let failNext = false;
  const starts = new Map<string, number>();
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
    lazyExporter('lazy', async () => ({}), events),
    lazyExporter('unloadable', () => Promise.reject(new Error("Cannot find module './exporter.js'")), events),
    defineExporter({
      type: 'recording',
      configSchema: configObject({ label: z.string().default('') }).prefault({}),
      createExporter: (settings, config): Exporter => ({
        start: async () => {
          starts.set(settings.id, (starts.get(settings.id) ?? 0) + 1);
          if (config.label === 'broken') throw new Error('cannot listen');
          if (config.label === 'starts-once' && starts.get(settings.id)! > 1) throw new Error('port taken meanwhile');
          events.push(`${settings.id} started`);
        },
        consume: (batch) => void received.push(batch),
        forget: (gone) => void received.push(gone),
        shutdown: async () => void events.push(`${settings.id} shutdown`),
      }),
    }),
    defineExtension({
      type: 'watcher',
      configSchema: empty,
      createExtension: () => ({
        start: async (host) => void hosts.push(host),
        shutdown: async () => {},
        reload: async () => void events.push('watcher reloaded'),
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
    const feed = new Subject<PipelineItem>();
    const received: PipelineItem[] = [];
    const { registry } = testRegistry(events, feed, received);
    const config = resolve(registry, {
      receivers: { manual: {} },
      exporters: { recording: {}, 'recording/second': {} },
      service: {
        pipelines: { metrics: { receivers: ['manual'], exporters: ['recording'] }, 'metrics/copy': { receivers: ['manual'], exporters: ['recording/second'] } },
      },
    });
    const service = await Service.start(config, silentLogger);
    feed.next(batchOf('src', [[GAUGE, 1]]));
    await service.shutdown();
    await service.shutdown();
    assert.deepEqual(events, [
      'recording started',
      'recording/second started',
      'receiver subscribed',
      'receiver shutdown',
      'recording/second shutdown',
      'recording shutdown',
    ]);
    assert.deepEqual(
      received.map((batch) => batch.source).sort(),
      ['metrics/copy|src', 'metrics|src'],
      'each pipeline keeps its own snapshot of a shared source',
    );
  });

  it('restarts a pipeline whose stage throws, logging the error, and keeps delivering', async () => {
    const events: string[] = [];
    const feed = new Subject<PipelineItem>();
    const received: PipelineItem[] = [];
    const logs: string[] = [];
    const { registry, failOnNextBatch } = testRegistry(events, feed, received);
    const config = resolve(registry, {
      receivers: { manual: {} },
      processors: { flaky: {} },
      exporters: { recording: {} },
      service: { pipelines: { metrics: { receivers: ['manual'], processors: ['flaky'], exporters: ['recording'] } } },
    });
    const service = await Service.start(
      config,
      createLogger('info', (line) => logs.push(line)),
    );
    try {
      failOnNextBatch();
      feed.next(batchOf('first', [[GAUGE, 1]]));
      await pollUntil(() => events.filter((event) => event === 'receiver subscribed').length === 2 || undefined, {
        timeoutMs: 5000,
        what: 'the pipeline to resubscribe',
      });
      feed.next(batchOf('second', [[GAUGE, 2]]));
      assert.deepEqual(
        received.map((batch) => batch.source),
        ['metrics|second'],
      );
      assert.equal(logs.filter((line) => line.includes('pipeline failed; restarting it') && line.includes('stage failed')).length, 1);
    } finally {
      await service.shutdown();
    }
  });
});

describe('service: the path of self-telemetry', () => {
  function selfTelemetryRegistry(seen: Map<string, boolean | undefined>) {
    const empty = configObject({}).prefault({});
    return new Registry([
      defineReceiver({ attributes: [], type: 'manual', configSchema: empty, createReceiver: () => ({ batches: new Subject<Batch>() }) }),
      defineExporter({
        type: 'recording',
        configSchema: empty,
        createExporter: (settings): Exporter => {
          seen.set(settings.id, settings.exportsSelfTelemetry);
          return { start: async () => {}, consume: () => {}, forget: () => {}, shutdown: async () => {} };
        },
      }),
    ]);
  }
  const pipelines = { metrics: { receivers: ['manual'], exporters: ['recording'] } };

  it('without service.telemetry.metrics.address, every pipeline exporter exports it and no endpoint is made', async () => {
    const seen = new Map<string, boolean | undefined>();
    const config = resolve(selfTelemetryRegistry(seen), { receivers: { manual: {} }, exporters: { recording: {} }, service: { pipelines } });
    const telemetryEndpoint = () => assert.fail('no telemetry endpoint without an address');
    const service = await Service.start(config, silentLogger, { telemetryEndpoint });
    await service.shutdown();
    assert.deepEqual([...seen], [['recording', true]]);
  });

  it('with an address, the service serves it on an endpoint of its own, started first and stopped last, and exporters leave it out', async () => {
    const seen = new Map<string, boolean | undefined>();
    const events: string[] = [];
    const registry = selfTelemetryRegistry(seen);
    const config = resolve(registry, {
      receivers: { manual: {} },
      exporters: { recording: {} },
      service: { telemetry: { metrics: { address: '127.0.0.1:9999' } }, pipelines },
    });
    const service = await Service.start(config, silentLogger, {
      telemetryEndpoint: (settings, address) => {
        seen.set(settings.id, settings.exportsSelfTelemetry);
        return {
          start: async () => void events.push(`endpoint on ${address} started`),
          consume: () => {},
          forget: () => {},
          shutdown: async () => void events.push('endpoint shutdown'),
        };
      },
    });
    events.push('running');
    await service.shutdown();
    assert.deepEqual(
      [...seen],
      [
        ['telemetry', true],
        ['recording', false],
      ],
    );
    assert.deepEqual(events, ['endpoint on 127.0.0.1:9999 started', 'running', 'endpoint shutdown']);
  });

  it('an endpoint that cannot start fails the start, naming the setting', async () => {
    const config = resolve(selfTelemetryRegistry(new Map()), {
      receivers: { manual: {} },
      exporters: { recording: {} },
      service: { telemetry: { metrics: { address: '127.0.0.1:9999' } }, pipelines },
    });
    const telemetryEndpoint = (): Exporter => ({
      start: async () => assert.fail('address in use'),
      consume: () => {},
      forget: () => {},
      shutdown: async () => {},
    });
    await assert.rejects(Service.start(config, silentLogger, { telemetryEndpoint }), { message: 'service::telemetry::metrics: address in use' });
  });
});

describe('service: what extensions see', () => {
  it('observes every batch and SourceGone the pipelines deliver, after their stages, and describes the pipelines and the last reload', async () => {
    const events: string[] = [];
    const feed = new Subject<PipelineItem>();
    const hosts: Host[] = [];
    const { registry } = testRegistry(events, feed, [], hosts);
    const value = {
      receivers: { manual: {} },
      processors: { flaky: {} },
      exporters: { recording: {} },
      extensions: { watcher: {} },
      service: { extensions: ['watcher'], pipelines: { metrics: { receivers: ['manual'], processors: ['flaky'], exporters: ['recording'] } } },
    };
    const service = await Service.start(resolve(registry, value), silentLogger);
    try {
      const host = hosts[0]!;
      const seen: string[] = [];
      const stop = host.observePipelines((item, pipeline) => {
        seen.push(`${pipeline}:${item.source}:${isSourceGone(item) ? 'gone' : item.samples.length}`);
        if (item.source.endsWith('boom')) throw new Error('observer failed');
      });
      feed.next(batchOf('boom', [[GAUGE, 1]]));
      feed.next(batchOf('a', [[GAUGE, 1]]));
      feed.next(sourceGone('a', 1000));
      stop();
      feed.next(batchOf('b', [[GAUGE, 1]]));
      assert.deepEqual(
        seen,
        ['metrics:metrics|boom:1', 'metrics:metrics|a:1', 'metrics:metrics|a:gone'],
        'a failing observer does not stop delivery; a stopped one sees nothing',
      );
      const info = host.info();
      assert.deepEqual(info.pipelines, [{ id: 'metrics', receivers: ['manual'], processors: ['flaky'], exporters: ['recording'] }]);
      assert.deepEqual(info.extensions, ['watcher']);
      assert.equal(info.lastReload, undefined);
      await service.reconfigure(resolve(registry, value));
      assert.equal(host.info().lastReload?.ok, true);
      assert.ok(events.includes('watcher reloaded'), 'extensions re-read their files on a reload');
      service.recordRejectedReload('bad.yaml:1:1: broken');
      assert.deepEqual({ ...host.info().lastReload, atMs: 0 }, { atMs: 0, ok: false, error: 'bad.yaml:1:1: broken' });
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
    const feed = new Subject<PipelineItem>();
    const received: PipelineItem[] = [];
    const { registry } = testRegistry(events, feed, received);
    const service = await Service.start(resolve(registry, base({ recording: {} }, ['recording'])), silentLogger);
    await assert.rejects(
      service.reconfigure(resolve(registry, base({ recording: {}, 'recording/new': { label: 'broken' } }, ['recording', 'recording/new']))),
      /exporter "recording\/new": cannot listen/,
    );
    feed.next(batchOf('after', [[GAUGE, 1]]));
    assert.deepEqual(
      received.map((batch) => batch.source),
      ['metrics|after'],
      'the kept exporter still gets batches',
    );
    await service.shutdown();
    assert.deepEqual(
      events.filter((event) => event.startsWith('recording')),
      ['recording started', 'recording/new shutdown', 'recording shutdown'],
      'the one that failed to start was shut down too',
    );
  });

  it("imports each component's implementation before creating it; one that cannot be imported fails the start, or the reload with everything still running", async () => {
    const events: string[] = [];
    const feed = new Subject<PipelineItem>();
    const received: PipelineItem[] = [];
    const { registry } = testRegistry(events, feed, received);
    await assert.rejects(
      Service.start(resolve(registry, base({ unloadable: {} }, ['unloadable'])), silentLogger),
      /exporter unloadable: could not load its implementation: Cannot find module/,
    );
    const service = await Service.start(resolve(registry, base({ recording: {}, lazy: {} }, ['recording', 'lazy'])), silentLogger);
    try {
      assert.ok(events.includes('lazy created'));
      await assert.rejects(
        service.reconfigure(resolve(registry, base({ recording: {}, unloadable: {} }, ['recording', 'unloadable']))),
        /exporter unloadable: could not load its implementation/,
      );
      assert.deepEqual(
        events.filter((event) => event.startsWith('recording') || event === 'receiver shutdown'),
        ['recording started'],
        'nothing was stopped',
      );
      feed.next(batchOf('after', [[GAUGE, 1]]));
      assert.deepEqual(
        received.map((batch) => batch.source),
        ['metrics|after'],
      );
    } finally {
      await service.shutdown();
    }
  });

  it('a shutdown during a reconfigure leaves nothing running', async () => {
    const events: string[] = [];
    const feed = new Subject<PipelineItem>();
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

  it('rolls back a reload whose new exporter cannot start: the retired exporter is started again and collection goes on under the old config', async () => {
    const events: string[] = [];
    const feed = new Subject<PipelineItem>();
    const received: PipelineItem[] = [];
    const { registry } = testRegistry(events, feed, received);
    const service = await Service.start(resolve(registry, base({ recording: {} }, ['recording'])), silentLogger);
    try {
      await assert.rejects(
        service.reconfigure(resolve(registry, base({ recording: { label: 'broken' } }, ['recording']))),
        /exporter "recording": cannot listen/,
      );
      assert.deepEqual(
        events.filter((event) => event.startsWith('recording')),
        ['recording started', 'recording shutdown', 'recording shutdown', 'recording started'],
      );
      assert.equal(service.status().exportersStarted, true);
      feed.next(batchOf('after', [[GAUGE, 1]]));
      assert.deepEqual(
        received.map((batch) => batch.source),
        ['metrics|after'],
        'the restored exporter gets batches',
      );
    } finally {
      await service.shutdown();
    }
  });

  it('readiness reflects what serves: an exporter that cannot be restored makes the service not ready until a reload succeeds', async () => {
    const events: string[] = [];
    const feed = new Subject<PipelineItem>();
    const { registry } = testRegistry(events, feed, []);
    const service = await Service.start(resolve(registry, base({ recording: { label: 'starts-once' } }, ['recording'])), silentLogger);
    try {
      assert.equal(service.status().exportersStarted, true);
      await assert.rejects(service.reconfigure(resolve(registry, base({ recording: { label: 'broken' } }, ['recording']))), /cannot listen/);
      assert.equal(service.status().exportersStarted, false, 'nothing serves the recording exporter');
      await service.reconfigure(resolve(registry, base({ 'recording/other': {} }, ['recording/other'])));
      assert.equal(service.status().exportersStarted, true);
    } finally {
      await service.shutdown();
    }
  });

  it('a reload moving /metrics to a port in use is rejected and the old /metrics keeps answering', async () => {
    const prometheus = BUILTIN_FACTORIES.find((factory) => factory.kind === 'exporter' && factory.type === 'prometheus')!;
    const { registry: manual } = testRegistry([], new Subject<PipelineItem>(), []);
    const registry = new Registry([manual.get('receiver', 'manual')!, prometheus]);
    const [oldPort, busyPort] = [await freePort(), await freePort()];
    const busy = createServer().listen(busyPort, '127.0.0.1');
    await once(busy, 'listening');
    const service = await Service.start(resolve(registry, base({ prometheus: { endpoint: `127.0.0.1:${oldPort}` } }, ['prometheus'])), silentLogger);
    try {
      await assert.rejects(
        service.reconfigure(resolve(registry, base({ prometheus: { endpoint: `127.0.0.1:${busyPort}` } }, ['prometheus']))),
        /address already in use/,
      );
      const response = await fetch(`http://127.0.0.1:${oldPort}/metrics`);
      assert.equal(response.status, 200);
      assert.equal(service.status().exportersStarted, true);
    } finally {
      await service.shutdown();
      busy.close();
    }
  });
});

describe('service: a source that is gone', () => {
  /** A receiver fed by hand, a processor noting what it sees, exporters noting `<id> <source> <samples|gone>`. */
  function goneRegistry(feed: Subject<PipelineItem>, delivered: string[], staged: string[], hosts: Host[] = []) {
    const empty = configObject({}).prefault({});
    const describe = (item: PipelineItem) => `${item.source} ${isSourceGone(item) ? 'gone' : item.samples.length}`;
    return new Registry([
      defineReceiver({ attributes: [], type: 'manual', configSchema: empty, createReceiver: () => ({ batches: feed }) }),
      defineProcessor({
        type: 'noting',
        configSchema: empty,
        createProcessor: () => ({ operator: map((batch: Batch) => (staged.push(describe(batch)), batch)) }),
      }),
      defineExporter({
        type: 'recording',
        configSchema: empty,
        createExporter: (settings): Exporter => ({
          start: async () => {},
          consume: (batch) => void delivered.push(`${settings.id} ${describe(batch)}`),
          forget: (gone) => void delivered.push(`${settings.id} ${describe(gone)}`),
          shutdown: async () => {},
        }),
      }),
      defineExtension({
        type: 'watcher',
        configSchema: empty,
        createExtension: () => ({ start: async (host) => void hosts.push(host), shutdown: async () => {} }),
      }),
    ]);
  }

  it("a receiver's SourceGone passes around the stages, in order, to every exporter of the pipeline; an empty batch is a batch", async () => {
    const feed = new Subject<PipelineItem>();
    const delivered: string[] = [];
    const staged: string[] = [];
    const registry = goneRegistry(feed, delivered, staged);
    const config = resolve(registry, {
      receivers: { manual: {} },
      processors: { noting: {} },
      exporters: { recording: {}, 'recording/second': {} },
      service: { pipelines: { metrics: { receivers: ['manual'], processors: ['noting'], exporters: ['recording', 'recording/second'] } } },
    });
    const service = await Service.start(config, silentLogger);
    try {
      feed.next(batchOf('a', [[GAUGE, 1]]));
      feed.next(batchOf('b', []));
      feed.next(sourceGone('a', 1000));
      feed.next(batchOf('b', [[GAUGE, 2]]));
      assert.deepEqual(staged, ['a 1', 'b 0', 'b 1'], 'processors see batches only');
      assert.deepEqual(delivered, [
        'recording metrics|a 1',
        'recording/second metrics|a 1',
        'recording metrics|b 0',
        'recording/second metrics|b 0',
        'recording metrics|a gone',
        'recording/second metrics|a gone',
        'recording metrics|b 1',
        'recording/second metrics|b 1',
      ]);
    } finally {
      await service.shutdown();
    }
  });

  it('after a reload, sources nobody reports again are gone from each exporter holding them, through the tail, once the first round is done', async () => {
    const feed = new Subject<PipelineItem>();
    const delivered: string[] = [];
    const hosts: Host[] = [];
    const registry = goneRegistry(feed, delivered, [], hosts);
    const exporters = { recording: {}, 'recording/second': {} };
    const before = resolve(registry, {
      receivers: { manual: {} },
      exporters,
      extensions: { watcher: {} },
      service: {
        extensions: ['watcher'],
        pipelines: {
          metrics: { receivers: ['manual'], exporters: ['recording'] },
          'metrics/old': { receivers: ['manual'], exporters: ['recording', 'recording/second'] },
        },
      },
    });
    const after = resolve(registry, {
      receivers: { manual: {} },
      exporters,
      extensions: { watcher: {} },
      service: { extensions: ['watcher'], pipelines: { metrics: { receivers: ['manual'], exporters: ['recording', 'recording/second'] } } },
    });
    const service = await Service.start(before, silentLogger);
    try {
      const observed: string[] = [];
      hosts[0]!.observePipelines((item, pipeline) => observed.push(`${pipeline}: ${item.source} ${isSourceGone(item) ? 'gone' : 'batch'}`));
      feed.next(batchOf('a', [[GAUGE, 1]]));
      await service.reconfigure(after);
      delivered.length = 0;
      observed.length = 0;
      feed.next(batchOf('a', [[GAUGE, 2]]));
      feed.next(batchOf('a', [[GAUGE, 3]]));
      assert.deepEqual(delivered, [
        'recording metrics|a 1',
        'recording/second metrics|a 1',
        'recording metrics/old|a gone',
        'recording/second metrics/old|a gone',
        'recording metrics|a 1',
        'recording/second metrics|a 1',
      ]);
      assert.deepEqual(
        observed,
        ['metrics: metrics|a batch', 'metrics/old: metrics/old|a gone', 'metrics: metrics|a batch'],
        'observers see the forget once, under the pipeline that delivered the source',
      );
    } finally {
      await service.shutdown();
    }
  });
});
