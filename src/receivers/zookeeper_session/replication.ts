/**
 * Replication lag: a write through one server's session, and how long until each other server's session sees it.
 *
 * Every reader first leaves a watch on the writer's lag znode (`exists` with a watch, which works whether the
 * reader's server has the znode yet or not). Then the writer sets a fresh value. A reader has seen the write
 * when its watch fires and a read returns the new value; a watch lost on the way (a reconnect, a change that was
 * not ours) is covered by reading again every {@link POLL_MS}, until `replication_lag.timeout`.
 *
 * The lag is counted from the writer's acknowledgement: how long a client that was told "written" may still
 * read the old value through another server. A reader notified before the acknowledgement reached the writer
 * records 0.
 *
 * Deadlines and the polling pace run on the receiver's scheduler; the lag itself is measured with
 * `performance.now()`, as every latency of real I/O is (the scheduler's clock has whole milliseconds at best).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import type { SchedulerLike } from 'rxjs';
import type { ServerProbe } from './server-probe.js';
import { CREATOR_ALL_ACL, OPEN_ACL, ZkError, type ZkClient } from '../../internal/zkclient/client.js';

const POLL_MS = 100;

/** One reader's wait for the writer's value: watch-triggered, polling as the fallback. */
/**
 * One watcher function per (reader session, lag path), whatever the round: the library keeps one listener per
 * distinct function, so a fresh function each round would pile listeners up while watches are left unfired.
 */
const stableWatchers = new WeakMap<ZkClient, Map<string, { readonly watcher: () => void; current: ReaderWatch | undefined }>>();

function stableWatcher(session: ZkClient, path: string, watch: ReaderWatch): () => void {
  let byPath = stableWatchers.get(session);
  if (!byPath) stableWatchers.set(session, (byPath = new Map()));
  let entry = byPath.get(path);
  if (!entry) {
    const created: { readonly watcher: () => void; current: ReaderWatch | undefined } = { watcher: () => created.current?.fired(), current: undefined };
    byPath.set(path, (entry = created));
  }
  entry.current = watch;
  return entry.watcher;
}

class ReaderWatch {
  private firedAt: number | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly reader: ServerProbe,
    private readonly session: ZkClient,
    private readonly path: string,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** Leaves a watch on the lag znode; the event's arrival time is remembered. */
  arm(deadline: number): Promise<boolean> {
    this.firedAt = undefined;
    return this.session.exists(this.path, deadline, stableWatcher(this.session, this.path, this));
  }

  fired(): void {
    this.firedAt = performance.now();
    this.wake?.();
  }

  /** When (performance.now()) this reader saw `value`; rejects at the deadline. */
  async seen(value: Buffer, deadline: number): Promise<number> {
    for (;;) {
      const now = this.scheduler.now();
      if (now >= deadline) throw new ZkError('OPERATION_TIMEOUT', `write not seen within the replication_lag timeout`);
      if (this.firedAt === undefined) await this.sleep(Math.min(POLL_MS, deadline - now));
      const eventAt = this.firedAt;
      const data = await this.session.getData(this.path, deadline).catch((error: unknown) => {
        if (error instanceof ZkError && error.code === 'NO_NODE') return undefined;
        throw error;
      });
      if (data?.equals(value)) return eventAt ?? performance.now();
      // Not our value yet: if the watch was spent (on another change), leave a new one.
      if (eventAt !== undefined) await this.arm(deadline);
    }
  }

  /** Waits `ms`, or less when the watch fires. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.scheduler.schedule(done, ms);
      function done() {
        timer.unsubscribe();
        resolve();
      }
      this.wake = done;
    });
  }
}

/**
 * Writes through `writer` and records on each reader's metrics how long until its session saw the write
 * (`source` = the writer's endpoint). Failures are counted as `replication` errors on the side that failed.
 */
export async function measureReplication(
  writer: ServerProbe,
  readers: readonly ServerProbe[],
  timeoutMs: number,
  withAuth: boolean,
  scheduler: SchedulerLike,
): Promise<void> {
  const session = writer.connectedSession;
  if (!session) return;
  const watches = readers.flatMap((reader) => {
    const readerSession = reader.connectedSession;
    return readerSession ? [new ReaderWatch(reader, readerSession, writer.lagPath, scheduler)] : [];
  });
  if (watches.length === 0) return;
  const deadline = scheduler.now() + timeoutMs;
  const countError = (probe: ServerProbe, error: unknown) => probe.metrics.error('replication', error instanceof ZkError ? error.code : 'SYSTEM_ERROR');

  const armed = (
    await Promise.all(
      watches.map((watch) =>
        watch.arm(deadline).then(
          () => watch,
          (error: unknown) => countError(watch.reader, error),
        ),
      ),
    )
  ).filter((watch): watch is ReaderWatch => watch !== undefined);
  if (armed.length === 0) return;

  const value = randomBytes(8);
  let acknowledged: number;
  try {
    await writeLagNode(session, writer.lagPath, value, deadline, withAuth);
    acknowledged = performance.now();
  } catch (error) {
    countError(writer, error);
    return;
  }
  await Promise.all(
    armed.map((watch) =>
      watch.seen(value, deadline).then(
        (seenAt) => {
          // A writer that left meanwhile has had its series forgotten: do not bring one back.
          if (!writer.isClosed) watch.reader.metrics.lag(writer.endpoint, Math.max(0, seenAt - acknowledged) / 1000);
        },
        (error: unknown) => countError(watch.reader, error),
      ),
    ),
  );
}

/** Sets the writer's lag znode, creating it (ephemeral, so it goes with the writer's session) when missing. */
async function writeLagNode(session: ZkClient, path: string, value: Buffer, deadline: number, withAuth: boolean): Promise<void> {
  try {
    await session.setData(path, value, deadline);
  } catch (error) {
    if (!(error instanceof ZkError && error.code === 'NO_NODE')) throw error;
    await session.create(path, value, withAuth ? CREATOR_ALL_ACL : OPEN_ACL, zookeeper.CreateMode.EPHEMERAL, deadline);
  }
}
