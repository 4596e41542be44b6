import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY } from 'rxjs';
import { defineExporter, defineExtension, defineProcessor, defineReceiver } from '../../src/core/component.js';
import { configObject } from '../../src/core/config/schema.js';
import { resolveConfig } from '../../src/core/config/resolve.js';
import { Lifecycle } from '../../src/core/lifecycle.js';
import { createLogger } from '../../src/core/logger.js';
import { Registry } from '../../src/core/registry.js';
import { SelfTelemetry } from '../../src/core/telemetry.js';

const host = {
  status: () => ({ exportersStarted: true, firstRoundDone: true }),
  info: () => ({ pipelines: [], extensions: [], startedAtMs: 0 }),
  observePipelines: () => () => {},
};

/** Components that note `<id> started` / `<id> stopped`; the exporter `broken` cannot start, `sticky` cannot stop. */
function setUp() {
  const events: string[] = [];
  const logs: string[] = [];
  const empty = configObject({}).prefault({});
  const stop = (id: string) => async () => {
    if (id === 'noting/sticky') throw new Error('cannot stop');
    events.push(`${id} stopped`);
  };
  const registry = new Registry([
    defineReceiver({ attributes: [], type: 'manual', configSchema: empty, createReceiver: (settings) => ({ batches: EMPTY, shutdown: stop(settings.id) }) }),
    defineProcessor({ type: 'noting', configSchema: empty, createProcessor: (settings) => ({ operator: (items) => items, shutdown: stop(settings.id) }) }),
    defineExporter({
      type: 'noting',
      configSchema: empty,
      createExporter: (settings) => ({
        start: async () => {
          if (settings.id === 'noting/broken') throw new Error('port in use');
          events.push(`${settings.id} started`);
        },
        consume: () => {},
        forget: () => {},
        shutdown: stop(settings.id),
      }),
    }),
    defineExtension({
      type: 'noting',
      configSchema: empty,
      createExtension: (settings) => ({ start: async () => void events.push(`${settings.id} started`), shutdown: stop(settings.id) }),
    }),
  ]);
  const value = {
    receivers: { manual: {} },
    processors: { noting: {} },
    exporters: { noting: {}, 'noting/second': {}, 'noting/broken': {}, 'noting/sticky': {} },
    extensions: { noting: {}, 'noting/second': {} },
    service: {
      extensions: ['noting', 'noting/second'],
      pipelines: { metrics: { receivers: ['manual'], processors: ['noting'], exporters: ['noting', 'noting/second', 'noting/broken', 'noting/sticky'] } },
    },
  };
  const resolution = resolveConfig({ value, problems: [], warnings: [], locate: () => undefined }, registry);
  assert.deepEqual(resolution.problems, []);
  const lifecycle = new Lifecycle(
    createLogger('info', (line) => logs.push(line)),
    new SelfTelemetry(),
  );
  return { config: resolution.config!, lifecycle, events, logs };
}

describe('Lifecycle', () => {
  it('stops in reverse order of start: receivers, processors, exporters, extensions', async () => {
    const { config, lifecycle, events } = setUp();
    await lifecycle.startExtensions(config, host);
    await lifecycle.startExporters(config, ['noting', 'noting/second'], true);
    lifecycle.createProcessor(config, 'noting', 'metrics');
    lifecycle.createReceiver(config, 'manual');
    assert.deepEqual(lifecycle.exporterIds(), ['noting', 'noting/second']);
    await lifecycle.shutdown();
    assert.deepEqual(events, [
      'noting started',
      'noting/second started',
      'noting started',
      'noting/second started',
      'manual stopped',
      'noting stopped',
      'noting/second stopped',
      'noting stopped',
      'noting/second stopped',
      'noting stopped',
    ]);
    assert.deepEqual(lifecycle.exporterIds(), []);
  });

  it('an exporter that cannot start is shut down and named; those started before keep running', async () => {
    const { config, lifecycle, events } = setUp();
    await assert.rejects(lifecycle.startExporters(config, ['noting', 'noting/broken', 'noting/second'], true), {
      message: 'exporter "noting/broken": port in use',
    });
    assert.deepEqual(events, ['noting started', 'noting/broken stopped']);
    assert.deepEqual(lifecycle.exporterIds(), ['noting']);
  });

  it('stops only the exporters named; a failure to stop is logged and the others stop', async () => {
    const { config, lifecycle, events, logs } = setUp();
    await lifecycle.startExporters(config, ['noting', 'noting/second', 'noting/sticky'], true);
    events.length = 0;
    await lifecycle.stopExporters(['noting/sticky', 'noting', 'not-running']);
    assert.deepEqual(events, ['noting stopped']);
    assert.deepEqual(lifecycle.exporterIds(), ['noting/second']);
    assert.equal(logs.filter((line) => line.includes('component failed to shut down') && line.includes('cannot stop')).length, 1);
  });

  it('receivers and processors stop with the pipelines; exporters and extensions keep running', async () => {
    const { config, lifecycle, events } = setUp();
    await lifecycle.startExtensions(config, host);
    await lifecycle.startExporters(config, ['noting'], true);
    lifecycle.createReceiver(config, 'manual');
    lifecycle.createProcessor(config, 'noting', 'metrics');
    events.length = 0;
    await lifecycle.stopPipelineComponents();
    await lifecycle.stopPipelineComponents();
    assert.deepEqual(events, ['manual stopped', 'noting stopped']);
    assert.deepEqual(lifecycle.exporterIds(), ['noting']);
  });

  it('the self-telemetry endpoint starts only when the build provides one, and a failure names the setting', async () => {
    const { lifecycle } = setUp();
    await assert.rejects(lifecycle.startTelemetryEndpoint('127.0.0.1:1', undefined), {
      message: 'service::telemetry::metrics: this build has no telemetry endpoint',
    });
    const failing = () => ({ start: async () => assert.fail('address in use'), consume: () => {}, forget: () => {}, shutdown: async () => {} });
    await assert.rejects(lifecycle.startTelemetryEndpoint('127.0.0.1:1', failing), { message: 'service::telemetry::metrics: address in use' });
  });
});
