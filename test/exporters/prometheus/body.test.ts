/**
 * The chunked body (body.ts): its chunks, gzip members or plain bytes, concatenate to the one-piece assembly
 * (which rendering.test.ts proves byte-identical to the OTel serializer); batches that arrive while it is being
 * assembled change neither it nor the renderings it reads; the event loop gets turns between chunks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { Batch } from '../../../src/core/batch.js';
import { ChunkedBody, release } from '../../../src/exporters/prometheus/body.js';
import { FragmentRenderer, RenderedSnapshot } from '../../../src/exporters/prometheus/rendering.js';
import { parseMntr } from '../../../src/receivers/zookeeper/parse.js';
import { SampleMapper } from '../../../src/receivers/zookeeper/samples.js';
import { readMntrFixture } from '../../harness/fixtures.js';

const PREFIX = '# HELP target_info Target metadata\n';
const mntr = parseMntr(readMntrFixture('mntr-3.8.0-follower.txt'));
const mappers = Array.from({ length: 6 }, (_, i) => new SampleMapper(Object.freeze({ 'zk.endpoint': `10.0.0.${i}:2181` })));
/** Source i's batch; `durationMs` changes the value of one series (zookeeper.probe.duration) and nothing else. */
const batch = (i: number, durationMs: number): Batch => ({
  source: `zookeeper|${i}`,
  timeMs: 1000,
  startTimeMs: 0,
  samples: mappers[i]!.toSamples({ replies: { mntr, ruok: true }, failures: [], durationMs }, 0),
});

function snapshotOf(durationMs: number): RenderedSnapshot {
  const snapshot = new RenderedSnapshot(new FragmentRenderer({ namespace: '', constantLabels: {} }));
  for (let i = 0; i < mappers.length; i++) snapshot.put(batch(i, durationMs));
  return snapshot;
}

describe('chunked /metrics body', () => {
  for (const gzip of [true, false]) {
    it(`${gzip ? 'gzip members' : 'plain chunks'} concatenate to the one-piece body`, async () => {
      const snapshot = snapshotOf(1.5);
      const whole = PREFIX + snapshot.assemble([])!.toString('utf8');
      const body = new ChunkedBody(snapshot.capture()!, { gzip, prefix: PREFIX, chunkBytes: 8 * 1024 });
      const chunks = await body.complete;
      assert.ok(chunks.length > 10, `many chunks (${chunks.length})`);
      const joined = Buffer.concat(chunks);
      assert.equal((gzip ? gunzipSync(joined) : joined).toString('utf8'), whole);
      assert.ok(body.names.has('zookeeper.up'));
    });
  }

  it('batches that arrive while it is assembled change neither it nor what it reads; later assemblies see them', async () => {
    const snapshot = snapshotOf(1.5);
    const before = snapshot.assemble([])!.toString('utf8');
    const body = new ChunkedBody(snapshot.capture()!, { gzip: false, chunkBytes: 8 * 1024, assembled: snapshot.pin() });
    // New values for every source between the first chunk and the rest (the first is assembled synchronously).
    for (let i = 0; i < mappers.length; i++) snapshot.put(batch(i, 7.25));
    assert.equal(Buffer.concat(await body.complete).toString('utf8'), before);
    const after = snapshot.assemble([])!.toString('utf8');
    assert.notEqual(after, before);
    assert.equal(after, snapshotOf(7.25).assemble([])!.toString('utf8'));
  });

  it('gives the event loop a turn between chunks, and unpins once assembled', async () => {
    const snapshot = snapshotOf(1.5);
    let assembled = false;
    const unpin = snapshot.pin();
    const body = new ChunkedBody(snapshot.capture()!, {
      gzip: true,
      chunkBytes: 8 * 1024,
      assembled: () => {
        assembled = true;
        unpin();
      },
    });
    const turn = await new Promise<boolean>((resolve) => setImmediate(() => resolve(assembled)));
    assert.equal(turn, false, 'a turn of the loop came before the last chunk was assembled');
    await body.complete;
    assert.equal(assembled, true);
  });
});

describe('chunked /metrics body, many sources', () => {
  it('gives the loop turns within a chunk too, every few dozen sources, and the chunk stays whole', async () => {
    const sources = 150;
    const snapshot = new RenderedSnapshot(new FragmentRenderer({ namespace: '', constantLabels: {} }));
    for (let i = 0; i < sources; i++) {
      const mapper = new SampleMapper(Object.freeze({ 'zk.endpoint': `10.0.1.${i}:2181` }));
      snapshot.put({
        source: `zookeeper|${i}`,
        timeMs: 1000,
        startTimeMs: 0,
        samples: mapper.toSamples({ replies: { mntr, ruok: true }, failures: [], durationMs: 1 }, 0),
      });
    }
    let assembled = false;
    let turns = 0;
    const countTurns = (): void => {
      if (assembled) return;
      turns++;
      setImmediate(countTurns);
    };
    setImmediate(countTurns);
    // One chunk (far larger than the body); a turn whenever the loop had it for 0 ms, i.e. after every step.
    const body = new ChunkedBody(snapshot.capture()!, { gzip: false, chunkBytes: 1 << 30, sliceMs: 0, assembled: () => (assembled = true) });
    const chunks = await body.complete;
    assert.equal(chunks.length, 1);
    assert.ok(turns >= 2, `turns of the loop while one chunk of ${sources} sources was copied: ${turns}`);
    assert.equal(chunks[0]!.toString('utf8'), snapshot.assemble([])!.toString('utf8'));
  });
});

describe('release', () => {
  it('moves a chunk memory out of it, so that the chunk is empty and its memory goes with a young object', () => {
    const chunk = Buffer.allocUnsafeSlow(1 << 20).fill(1);
    release(chunk);
    assert.equal(chunk.length, 0);
    assert.equal(chunk.buffer.byteLength, 0);
  });
});
