import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileSdTargets } from '../../../src/internal/targets/file-sd.js';
import { ListRecorder, LogRecorder } from './recorder.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'zkotel-file-sd-'));
after(() => rmSync(root, { recursive: true, force: true }));

const group = (targets: string[], labels: Record<string, string> = {}) => ({ targets, labels });
/** Writes through a temp file and a rename, as careful tools do; `raw` writes in place. */
function write(file: string, content: unknown, raw = false): void {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  if (raw) return writeFileSync(file, text);
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

describe('file_sd (real files, watched)', () => {
  it('follows files as they are written, added, broken and removed', async () => {
    const dir = path.join(root, 'watched');
    mkdirSync(dir);
    const a = path.join(dir, 'zk_a.json');
    write(a, [group(['a1:2181', 'a2:2181'], { env: 'prod' })]);
    write(path.join(dir, 'ignored.txt'), [group(['x:2181'])]);
    const log = new LogRecorder();
    // A refresh interval far beyond the test: every change below is seen through the directory watch.
    const recorder = new ListRecorder(
      fileSdTargets({ files: [path.join(dir, 'zk_*.json'), path.join(dir, 'extra.yaml')], refresh_interval: 3_600_000 }, log.logger),
    );
    try {
      const first = await recorder.untilEndpoints(['a1:2181', 'a2:2181']);
      assert.deepEqual(first[0]?.attributes, { env: 'prod' });

      write(a, [group(['a1:2181'], { env: 'prod' }), group(['a3:2181'])]);
      await recorder.untilEndpoints(['a1:2181', 'a3:2181']);

      write(path.join(dir, 'extra.yaml'), '- targets: [e1:2181, a1:2181]\n  labels: {env: test}\n', true);
      const withExtra = await recorder.untilEndpoints(['a1:2181', 'a3:2181', 'e1:2181']);
      assert.equal(
        withExtra.find((t) => t.endpoint === 'a1:2181')?.attributes['env'],
        'test',
        'an endpoint in two files: the file first by name (extra.yaml) wins',
      );

      write(a, '[{"targets": ["a9:2181"', true);
      const problem = await log.until(/file_sd: bad file; keeping its last good targets/);
      assert.equal(problem['file'], a);
      assert.match(String(problem['error']), new RegExp(`^${a.replaceAll('.', '\\.')}:\\d+:\\d+: `));
      assert.equal(problem['kept_targets'], 2);
      assert.deepEqual(recorder.endpoints, ['a1:2181', 'a3:2181', 'e1:2181'], 'the bad file loses nothing');

      write(a, [group(['a4:2181'])]);
      await recorder.untilEndpoints(['a4:2181', 'e1:2181', 'a1:2181']);

      unlinkSync(a);
      await recorder.untilEndpoints(['a1:2181', 'e1:2181']);
      assert.equal(recorder.latest?.find((t) => t.endpoint === 'a1:2181')?.attributes['env'], 'test');
      assert.equal(recorder.error, undefined);
      assert.equal(log.matching(/bad file/).length, 1, 'a bad file is logged once');
    } finally {
      recorder.stop();
    }
  });

  it('finds a directory created later (its parent is watched, and the periodic refresh looks too)', async () => {
    const dir = path.join(root, 'later');
    const log = new LogRecorder();
    const recorder = new ListRecorder(fileSdTargets({ files: [path.join(dir, '*.yml')], refresh_interval: 100 }, log.logger));
    try {
      await recorder.untilEndpoints([]);
      await log.until(/file_sd: cannot list directory/);
      mkdirSync(dir);
      write(path.join(dir, 'zk.yml'), '- targets: [late:2181]\n');
      await recorder.untilEndpoints(['late:2181']);
      // Once listed, the directory is watched too: a later change is seen (by watch or refresh).
      write(path.join(dir, 'zk.yml'), '- targets: [later:2181]\n');
      await recorder.untilEndpoints(['later:2181']);
      assert.equal(log.matching(/cannot list directory/).length, 1, 'logged once');
    } finally {
      recorder.stop();
    }
  });

  for (const [how, recreate] of [
    [
      'removed, then recreated',
      async (dir: string, recorder: ListRecorder) => {
        rmSync(dir, { recursive: true });
        await recorder.untilEndpoints([]);
        mkdirSync(dir);
        write(path.join(dir, 'zk.yml'), '- targets: [b:2181]\n');
      },
    ],
    [
      'removed and recreated at once',
      async (dir: string) => {
        rmSync(dir, { recursive: true });
        mkdirSync(dir);
        write(path.join(dir, 'zk.yml'), '- targets: [b:2181]\n');
      },
    ],
    [
      'replaced by another directory moved in its place',
      async (dir: string) => {
        const next = `${dir}.next`;
        mkdirSync(next);
        write(path.join(next, 'zk.yml'), '- targets: [b:2181]\n');
        rmSync(dir, { recursive: true });
        renameSync(next, dir);
      },
    ],
  ] as const) {
    it(`keeps watching a directory ${how}`, async () => {
      const dir = path.join(root, `recreated-${how.replaceAll(' ', '-')}`);
      mkdirSync(dir);
      write(path.join(dir, 'zk.yml'), '- targets: [a:2181]\n');
      const log = new LogRecorder();
      // A refresh interval far beyond the test: only the watches can see the changes.
      const recorder = new ListRecorder(fileSdTargets({ files: [path.join(dir, '*.yml')], refresh_interval: 3_600_000 }, log.logger));
      try {
        await recorder.untilEndpoints(['a:2181']);
        await recreate(dir, recorder);
        await recorder.untilEndpoints(['b:2181']);
        write(path.join(dir, 'zk.yml'), '- targets: [c:2181]\n');
        await recorder.untilEndpoints(['c:2181']);
        write(path.join(dir, 'more.yml'), '- targets: [d:2181]\n');
        await recorder.untilEndpoints(['c:2181', 'd:2181']);
        assert.equal(recorder.error, undefined);
      } finally {
        recorder.stop();
      }
    });
  }

  it('drops a bad target and a reserved label of a file with one problem logged, using the rest', async () => {
    const dir = path.join(root, 'partly-bad');
    mkdirSync(dir);
    const file = path.join(dir, 'zk.yaml');
    write(file, '- targets: [a:2181, "no-port"]\n  labels: {env: prod, zk_endpoint: x}\n');
    const log = new LogRecorder();
    const recorder = new ListRecorder(fileSdTargets({ files: [path.join(dir, '*.yaml')], refresh_interval: 3_600_000 }, log.logger));
    try {
      const [target] = await recorder.untilEndpoints(['a:2181']);
      assert.deepEqual(target?.attributes, { env: 'prod' });
      const problem = await log.until(/file_sd: dropped parts of a file; using the rest/);
      assert.equal(problem['file'], file);
      assert.match(String(problem['error']), /zk\.yaml:1:\d+: 0::targets::1: invalid endpoint "no-port"/);
      assert.match(String(problem['error']), /zk\.yaml:2:\d+: 0::labels::zk_endpoint: label "zk_endpoint" is reserved/);
      write(file, '- targets: [a:2181, "no-port", b:2181]\n  labels: {env: prod, zk_endpoint: x}\n');
      await recorder.untilEndpoints(['a:2181', 'b:2181']);
      assert.equal(log.matching(/dropped parts of a file/).length, 1, 'the same problems are logged once');
    } finally {
      recorder.stop();
    }
  });
});
