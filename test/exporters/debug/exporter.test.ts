import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sourceGone } from '../../../src/core/batch.js';
import { createDebugExporter, debugExporterConfigSchema } from '../../../src/exporters/debug/factory.js';
import { batchOf, COUNTER, GAUGE } from '../../harness/batches.js';

function printed(verbosity: string): string {
  let out = '';
  const exporter = createDebugExporter(debugExporterConfigSchema.parse({ verbosity }), (text) => (out += text));
  exporter.consume(
    batchOf(
      'zookeeper|127.0.0.1:2181',
      [
        [GAUGE, 1.5, { 'zk.endpoint': '127.0.0.1:2181' }],
        [COUNTER, 3],
      ],
      Date.UTC(2026, 0, 1),
    ),
  );
  return out;
}

describe('debug exporter', () => {
  it('prints one line per batch at basic verbosity', () => {
    assert.equal(printed('basic'), '2026-01-01T00:00:00.000Z zookeeper|127.0.0.1:2181: 2 samples\n');
  });
  it('prints every sample at normal verbosity, and types and units at detailed', () => {
    assert.match(printed('normal'), /^ {2}test\.temperature\{zk\.endpoint="127\.0\.0\.1:2181"\} 1\.5$/m);
    assert.match(printed('detailed'), /^ {2}test\.events\{\} 3 counter\(int\) unit="" "A counter\."$/m);
  });
  it('prints a line for a source that is gone', () => {
    let out = '';
    createDebugExporter(debugExporterConfigSchema.parse({}), (text) => (out += text)).forget(sourceGone('zookeeper|127.0.0.1:2181', Date.UTC(2026, 0, 1)));
    assert.equal(out, '2026-01-01T00:00:00.000Z zookeeper|127.0.0.1:2181: gone\n');
  });
  it('rejects an unknown verbosity', () => {
    assert.equal(debugExporterConfigSchema.safeParse({ verbosity: 'loud' }).success, false);
  });
});
