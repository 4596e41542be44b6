/**
 * The temp dir of a server a harness module runs (ZooKeeper, Prometheus, Alertmanager): removed by `remove()`, or
 * when the test process exits should a test never get there; kept for a look with `keep` or ZKOTEL_KEEP_TMP=1.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { registerTempDir, unregisterTempDir, type LoggedProcess } from './process.js';

export interface HarnessDir {
  readonly path: string;
  remove(): Promise<void>;
}

export async function harnessDir(prefix: string, options: { keep?: boolean | undefined; parent?: string | undefined } = {}): Promise<HarnessDir> {
  const keep = options.keep ?? process.env.ZKOTEL_KEEP_TMP === '1';
  const dir = await fsp.mkdtemp(path.join(options.parent ?? os.tmpdir(), prefix));
  if (!keep) registerTempDir(dir);
  return {
    path: dir,
    remove: async () => {
      unregisterTempDir(dir);
      if (!keep) await fsp.rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** The `stop()` of a server run in its own dir: SIGTERM (SIGKILL after 10 s), then the dir goes. A second call does nothing. */
export function stopServer(proc: LoggedProcess, dir: HarnessDir): () => Promise<void> {
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    await proc.stop('SIGTERM', 10_000);
    await dir.remove();
  };
}
