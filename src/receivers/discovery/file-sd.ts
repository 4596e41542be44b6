/**
 * file_sd: the targets of every file matching the configured patterns, re-read when a watched directory changes
 * and every refresh_interval (as Prometheus does: change events can be missed, e.g. on network file systems).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Observable } from 'rxjs';
import { describeFsError } from '../../core/config/yaml-file.js';
import type { Logger } from '../../core/logger.js';
import type { FileSdConfig } from './config.js';
import { filePattern, readFileSdFile } from './file-sd-parse.js';
import { sameTargetList, uniqueTargets, type Target } from './target.js';

/** Events often come in bursts (truncate, write, rename): one re-read after the burst. */
const CHANGE_SETTLE_MS = 50;

export function fileSdTargets(config: FileSdConfig, logger: Logger): Observable<readonly Target[]> {
  const patterns = config.files.map(filePattern);
  const directories = [...new Set(patterns.map((pattern) => pattern.directory))];
  return new Observable<readonly Target[]>((subscriber) => {
    /** The last good targets of each file still present: a file that turns bad keeps them. */
    const lastGood = new Map<string, readonly Target[]>();
    /** The problem last logged per file or directory, so each is logged once until it changes. */
    const logged = new Map<string, string>();
    const watchers = new Map<string, fs.FSWatcher>();
    let emitted: readonly Target[] | undefined;
    let stopped = false;
    let running: Promise<void> | undefined;
    let again = false;
    let settleTimer: NodeJS.Timeout | undefined;

    const report = (key: string, problem: string | undefined, log: () => void) => {
      if (problem === undefined) logged.delete(key);
      else if (logged.get(key) !== problem) {
        logged.set(key, problem);
        log();
      }
    };

    const matchingFiles = async (): Promise<string[]> => {
      const files = new Set<string>();
      for (const directory of directories) {
        let names: string[];
        try {
          names = await fsp.readdir(directory);
          report(directory, undefined, () => {});
        } catch (error) {
          const problem = describeFsError(error);
          report(directory, problem, () => logger.warn('file_sd: cannot list directory', { directory, error: problem }));
          continue;
        }
        for (const pattern of patterns) {
          if (pattern.directory !== directory) continue;
          for (const name of names) if (pattern.matches(name)) files.add(path.join(directory, name));
        }
      }
      return [...files].sort();
    };

    const refreshOnce = async () => {
      watchMissing(); // before reading, so a change made while reading is not missed
      const files = await matchingFiles();
      for (const file of lastGood.keys()) if (!files.includes(file)) lastGood.delete(file);
      for (const file of files) {
        const result = readFileSdFile(file);
        if (result.error !== undefined) {
          const kept = lastGood.get(file)?.length ?? 0;
          report(file, result.error, () => logger.error('file_sd: bad file; keeping its last good targets', { file, kept_targets: kept, error: result.error }));
        } else {
          report(file, undefined, () => {});
          lastGood.set(file, result.targets);
        }
      }
      for (const key of logged.keys()) if (!directories.includes(key) && !files.includes(key)) logged.delete(key);
      const list = uniqueTargets(files.flatMap((file) => lastGood.get(file) ?? []));
      if (stopped || (emitted && sameTargetList(emitted, list))) return;
      emitted = list;
      subscriber.next(list);
    };

    /** One refresh at a time; a request during a refresh runs one more after it. */
    const refresh = () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = refreshOnce()
        .catch((error: unknown) => logger.error('file_sd: refresh failed', { error }))
        .finally(() => {
          running = undefined;
          if (again) {
            again = false;
            refresh();
          }
        });
    };

    const changed = () => {
      clearTimeout(settleTimer);
      settleTimer = setTimeout(refresh, CHANGE_SETTLE_MS);
    };

    /** Watches each directory not watched yet; a missing one is tried again at the next refresh. */
    const watchMissing = () => {
      for (const directory of directories) {
        if (stopped || watchers.has(directory)) continue;
        try {
          const watcher = fs.watch(directory, { persistent: false }, changed);
          watcher.on('error', () => {
            watcher.close();
            watchers.delete(directory);
            changed();
          });
          watchers.set(directory, watcher);
        } catch {
          // Listed as missing by matchingFiles; the periodic refresh still covers it.
        }
      }
    };

    refresh();
    const interval = setInterval(refresh, config.refresh_interval);
    return () => {
      stopped = true;
      clearInterval(interval);
      clearTimeout(settleTimer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    };
  });
}
