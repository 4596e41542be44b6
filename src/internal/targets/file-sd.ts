/**
 * file_sd: the targets of every file matching the configured patterns, re-read when a watched directory changes
 * and every refresh_interval (as Prometheus does: change events can be missed, e.g. on network file systems).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { asyncScheduler, concatMap, debounceTime, merge, Observable, of, Subject, throttle, timer, type SchedulerLike } from 'rxjs';
import { describeFsError } from '../../core/config/yaml-file.js';
import type { Logger } from '../../core/logger.js';
import type { FileSdConfig } from './config.js';
import { filePattern, readFileSdFile } from './file-sd-parse.js';
import { sameTargetList, uniqueTargets, type Target } from './target.js';

/** Events often come in bursts (truncate, write, rename): one re-read after the burst. */
const CHANGE_SETTLE_MS = 50;

/** The directory's device and inode, or undefined when it is missing (or no directory). */
function inodeOf(directory: string): string | undefined {
  try {
    const stats = fs.statSync(directory);
    return stats.isDirectory() ? `${stats.dev}:${stats.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** `receiverAttributes`: what the agent's receivers set on samples; a target label exported like one of them is dropped. */
export function fileSdTargets(
  config: FileSdConfig,
  logger: Logger,
  scheduler: SchedulerLike = asyncScheduler,
  receiverAttributes?: ReadonlySet<string>,
): Observable<readonly Target[]> {
  const patterns = config.files.map(filePattern);
  const directories = [...new Set(patterns.map((pattern) => pattern.directory))];
  return new Observable<readonly Target[]>((subscriber) => {
    /** The last good targets of each file still present: a file that turns bad keeps them. */
    const lastGood = new Map<string, readonly Target[]>();
    /** The problem last logged per file or directory, so each is logged once until it changes. */
    const logged = new Map<string, string>();
    /** Per directory: the watch of the directory (inode known) or of its parent while it is missing. */
    const watchers = new Map<string, { watcher: fs.FSWatcher; inode: string | undefined }>();
    let emitted: readonly Target[] | undefined;
    let stopped = false;
    /** A watched directory reported a change. */
    const changes = new Subject<void>();
    /** A refresh finished: the next one may start. */
    const refreshed = new Subject<void>();

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
      watchDirectories(); // before reading, so a change made while reading is not missed
      const files = await matchingFiles();
      for (const file of lastGood.keys()) if (!files.includes(file)) lastGood.delete(file);
      for (const file of files) {
        const result = readFileSdFile(file, receiverAttributes);
        if (result.error !== undefined) {
          const kept = lastGood.get(file)?.length ?? 0;
          report(file, result.error, () => logger.error('file_sd: bad file; keeping its last good targets', { file, kept_targets: kept, error: result.error }));
        } else {
          const problems = result.problems.length > 0 ? result.problems.join('\n') : undefined;
          report(file, problems, () => logger.warn('file_sd: dropped parts of a file; using the rest', { file, error: problems }));
          lastGood.set(file, result.targets);
        }
      }
      for (const key of logged.keys()) if (!directories.includes(key) && !files.includes(key)) logged.delete(key);
      const list = uniqueTargets(files.flatMap((file) => lastGood.get(file) ?? []));
      if (stopped || (emitted && sameTargetList(emitted, list))) return;
      emitted = list;
      subscriber.next(list);
    };

    const changed = () => changes.next();

    /**
     * Watches each directory not watched yet. A watch follows the directory's inode, not its path: once the
     * directory is removed (and maybe recreated) the watch sees nothing more, so it is dropped and made again when
     * the directory's inode changes (checked at each refresh and when the watch reports the directory itself renamed
     * or removed). While the directory is missing its parent is watched for it to appear; when both are missing the
     * periodic refresh still covers it.
     */
    const watchDirectories = () => {
      for (const directory of directories) {
        const inode = inodeOf(directory);
        const watched = watchers.get(directory);
        if (watched && watched.inode === inode) continue;
        if (watched) unwatch(directory);
        if (stopped) continue;
        const self = path.basename(directory);
        try {
          const watcher =
            inode === undefined
              ? fs.watch(path.dirname(directory), { persistent: false }, (_event, name) => {
                  if (name === self) changed();
                })
              : fs.watch(directory, { persistent: false }, (event, name) => {
                  // Most likely the directory itself removed or moved (its inode number may come back at once on
                  // some file systems); if it was a file of the same name, watching again costs nothing.
                  if (event === 'rename' && name === self) unwatch(directory);
                  changed();
                });
          watcher.on('error', () => {
            unwatch(directory);
            changed();
          });
          watchers.set(directory, { watcher, inode });
        } catch {
          // Missing (the directory and its parent), or gone since stat: listed as missing by matchingFiles.
        }
      }
    };

    const unwatch = (directory: string) => {
      watchers.get(directory)?.watcher.close();
      watchers.delete(directory);
    };

    // At start, every refresh_interval, and once after a burst of change events (truncate, write, rename). One
    // refresh at a time: requests during a refresh make one more run after it (throttle's trailing value), not one each.
    const refreshes = merge(
      of(undefined),
      timer(config.refresh_interval, config.refresh_interval, scheduler),
      changes.pipe(debounceTime(CHANGE_SETTLE_MS, scheduler)),
    )
      .pipe(
        throttle(() => refreshed, { leading: true, trailing: true }),
        concatMap(() =>
          refreshOnce()
            .catch((error: unknown) => logger.error('file_sd: refresh failed', { error }))
            .finally(() => refreshed.next()),
        ),
      )
      .subscribe();
    return () => {
      stopped = true;
      refreshes.unsubscribe();
      for (const { watcher } of watchers.values()) watcher.close();
      watchers.clear();
    };
  });
}
