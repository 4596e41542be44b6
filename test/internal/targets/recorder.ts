/** Records the target lists of a discovery Observable and the log lines of its logger, for waiting on them. */
import type { Observable, Subscription } from 'rxjs';
import { createLogger, type Logger } from '../../../src/core/logger.js';
import type { Target } from '../../../src/internal/targets/target.js';
import { pollUntil } from '../../harness/process.js';

export interface LogEvent {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export class LogRecorder {
  readonly events: LogEvent[] = [];
  readonly logger: Logger = createLogger('debug', (line) => this.events.push(JSON.parse(line) as LogEvent));

  matching(pattern: RegExp): LogEvent[] {
    return this.events.filter((event) => pattern.test(event.msg));
  }

  until(pattern: RegExp, timeoutMs = 20_000): Promise<LogEvent> {
    return pollUntil(() => this.matching(pattern)[0], {
      timeoutMs,
      what: `a log line matching ${pattern}`,
      context: () => JSON.stringify(this.events, null, 1),
    });
  }
}

export class ListRecorder {
  readonly lists: (readonly Target[])[] = [];
  private readonly subscription: Subscription;
  error: unknown;

  constructor(lists: Observable<readonly Target[]>) {
    this.subscription = lists.subscribe({ next: (list) => this.lists.push(list), error: (error: unknown) => (this.error = error) });
  }

  get latest(): readonly Target[] | undefined {
    return this.lists.at(-1);
  }

  /** Endpoints of the latest list, sorted. */
  get endpoints(): string[] {
    return (this.latest ?? []).map((target) => target.endpoint).sort();
  }

  /** Waits until the latest list satisfies `predicate`; returns it. */
  until(what: string, predicate: (list: readonly Target[]) => boolean, timeoutMs = 20_000): Promise<readonly Target[]> {
    return pollUntil(() => (this.latest && predicate(this.latest) ? this.latest : undefined), {
      timeoutMs,
      intervalMs: 20,
      what,
      context: () => `lists so far: ${JSON.stringify(this.lists)}`,
    });
  }

  /** Waits until the latest list has exactly these endpoints (in any order). */
  untilEndpoints(endpoints: readonly string[], timeoutMs?: number): Promise<readonly Target[]> {
    const want = [...endpoints].sort().join(',');
    return this.until(
      `targets ${want}`,
      (list) =>
        list
          .map((t) => t.endpoint)
          .sort()
          .join(',') === want,
      timeoutMs,
    );
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

/** Targets as endpoint and attributes only, for tests about what is probed and exported (not the `__meta_*` labels). */
export function withoutMeta<T extends readonly Target[] | undefined>(targets: T): T {
  return targets?.map(({ endpoint, attributes }) => ({ endpoint, attributes })) as T;
}

/** A file_sd result with its targets as {@link withoutMeta}. */
export function withoutMetaResult<R extends { targets?: readonly Target[] | undefined }>(result: R): R {
  return result.targets ? { ...result, targets: withoutMeta(result.targets) } : result;
}
