import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverTargets } from '../../../src/internal/targets/targets.js';
import { ListRecorder, LogRecorder, withoutMeta } from './recorder.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-targets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('discoverTargets', () => {
  it('is the static list without discovery', async () => {
    const recorder = new ListRecorder(discoverTargets({ staticEndpoints: ['a:1', 'b:1'], config: undefined, logger: new LogRecorder().logger }));
    assert.deepEqual(recorder.lists.map(withoutMeta), [
      [
        { endpoint: 'a:1', attributes: {} },
        { endpoint: 'b:1', attributes: {} },
      ],
    ]);
    recorder.stop();
  });

  it('unions static endpoints and file_sd targets, one target per endpoint, emitting only changes', async () => {
    const file = path.join(dir, 'targets.json');
    writeFileSync(file, JSON.stringify([{ targets: ['b:1', 'c:1'], labels: { rack: 'r1' } }]));
    const recorder = new ListRecorder(
      discoverTargets({
        staticEndpoints: ['a:1', 'b:1'],
        config: { ensemble: false, file_sd: { files: [file], refresh_interval: 3_600_000 } },
        logger: new LogRecorder().logger,
      }),
    );
    try {
      const first = await recorder.untilEndpoints(['a:1', 'b:1', 'c:1']);
      assert.deepEqual(withoutMeta(first), [
        { endpoint: 'a:1', attributes: {} },
        { endpoint: 'b:1', attributes: {} },
        { endpoint: 'c:1', attributes: { rack: 'r1' } },
      ]);
      // Only b:1 goes from the file: it stays listed statically, so the union does not change.
      writeFileSync(file, JSON.stringify([{ targets: ['c:1'], labels: { rack: 'r1' } }]));
      writeFileSync(file, JSON.stringify([{ targets: ['c:1', 'd:1'], labels: { rack: 'r1' } }]));
      await recorder.untilEndpoints(['a:1', 'b:1', 'c:1', 'd:1']);
      assert.ok(
        recorder.lists.every((list, i) => i === 0 || JSON.stringify(list) !== JSON.stringify(recorder.lists[i - 1])),
        'no list twice in a row',
      );
    } finally {
      recorder.stop();
    }
  });
});
