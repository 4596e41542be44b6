import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY, mergeMap, NEVER, Observable, throwError, timer } from 'rxjs';
import { createLogger } from '../../../src/core/logger.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { ExportError, httpStatusError, parseRetryAfter, permanentError, retryableError, toExportError } from '../../../src/internal/exporterhelper/errors.js';
import { queuedRetry, type PushContext, type QueuedRetryConfig, type QueuedRetrySender } from '../../../src/internal/exporterhelper/queued-retry.js';
import { VirtualClock } from '../../harness/virtual-time.js';

/** What the scripted backend does with one attempt: answer after `ms` (failing with `error`), or never answer. */
type Answer = { readonly ms: number; readonly error?: ExportError | Error } | 'hang';

interface Attempt {
  readonly item: string;
  readonly atMs: number;
  readonly context: PushContext;
}

const ID = 'test/exporter';
const PREFIX = 'test.exporter';

interface Harness {
  readonly clock: VirtualClock;
  readonly sender: QueuedRetrySender<string>;
  readonly attempts: Attempt[];
  readonly logs: () => ({ level: string; msg: string } & Record<string, unknown>)[];
  /** A self-telemetry value, summed over the series whose attributes include `match`. */
  readonly count: (name: string, match?: Record<string, string>) => number;
}

/**
 * A sender whose push follows `script` (one answer per attempt, in order; past its end every attempt succeeds
 * after 10 ms). Backoff jitter is pinned to the middle, so waits are exactly initial_interval × 1.5ⁿ.
 */
function harness(script: Answer[], config: Partial<QueuedRetryConfig> = {}, shutdownBudgetMs?: number): Harness {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const telemetry = new SelfTelemetry();
  const attempts: Attempt[] = [];
  const push = (item: string, context: PushContext): Observable<unknown> => {
    attempts.push({ item, atMs: clock.now, context });
    const answer = script.shift() ?? { ms: 10 };
    if (answer === 'hang') return NEVER;
    return timer(answer.ms, clock.scheduler).pipe(mergeMap(() => (answer.error ? throwError(() => answer.error) : EMPTY)));
  };
  const sender = queuedRetry(
    push,
    {
      sending_queue: { queue_size: 10 },
      retry_on_failure: { enabled: true, initial_interval: 100, max_interval: 300, max_elapsed_time: 0 },
      timeout: 1000,
      ...config,
    },
    {
      logger: createLogger('debug', (line) => lines.push(line)),
      telemetry,
      id: ID,
      metricPrefix: PREFIX,
      name: 'Test',
      logFields: { url: 'http://backend' },
      redact: (text) => text.replaceAll('s3cret', '***'),
      scheduler: clock.scheduler,
      random: () => 0.5,
      ...(shutdownBudgetMs === undefined ? {} : { shutdownBudgetMs }),
    },
  );
  const count = (name: string, match: Record<string, string> = {}): number =>
    telemetry
      .snapshot()
      .samples.filter((s) => s.metric.name === `${PREFIX}.${name}` && Object.entries({ exporter: ID, ...match }).every(([k, v]) => s.attributes[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  return { clock, sender, attempts, count, logs: () => lines.map((line) => JSON.parse(line) as { level: string; msg: string } & Record<string, unknown>) };
}

const unavailable = (): ExportError => retryableError('http_503', 'HTTP 503');

describe('exporterhelper queuedRetry', () => {
  it('sends items in order, one attempt at a time, and counts them as sent in their own units', async () => {
    const { clock, sender, attempts, count } = harness([{ ms: 30 }, { ms: 30 }, { ms: 30 }]);
    sender.send('a', 2);
    sender.send('b', 3);
    sender.send('c', 4);
    assert.equal(sender.queueLength, 2, 'a is in flight, b and c wait');
    assert.equal(count('queue.size'), 2);
    assert.equal(count('queue.capacity'), 10);
    await clock.advance(100);
    assert.deepEqual(
      attempts.map((a) => [a.item, a.atMs]),
      [
        ['a', 0],
        ['b', 30],
        ['c', 60],
      ],
    );
    assert.equal(count('sent'), 9);
    assert.equal(count('queue.size'), 0);
    assert.equal(count('dropped'), 0);
  });

  it('retries a retryable failure with exponential backoff capped at max_interval, and resets it after a success', async () => {
    const failing: Answer = { ms: 10, error: unavailable() };
    const { clock, sender, attempts, count } = harness([failing, failing, failing, failing, { ms: 10 }, failing, { ms: 10 }]);
    sender.send('a', 1);
    await clock.advance(2000);
    // a fails at 10, waits 100 → 110 fails at 120, waits 150 → 270 fails at 280, waits 225 → 505 fails at 515,
    // waits 300 (capped) → 815 succeeds at 825.
    assert.deepEqual(
      attempts.map((a) => a.atMs),
      [0, 110, 270, 505, 815],
    );
    assert.equal(count('failed', { reason: 'http_503' }), 4);
    assert.equal(count('sent'), 1);
    sender.send('b', 1);
    await clock.advance(2000);
    assert.deepEqual(
      attempts.slice(5).map((a) => a.atMs - attempts[5]!.atMs),
      [0, 110],
      'after a success the backoff starts again from initial_interval',
    );
  });

  it("waits at least the backend's Retry-After", async () => {
    const { clock, sender, attempts } = harness([{ ms: 10, error: retryableError('http_429', 'HTTP 429', 2000) }]);
    sender.send('a', 1);
    await clock.advance(5000);
    assert.deepEqual(
      attempts.map((a) => a.atMs),
      [0, 2010],
    );
  });

  it('drops an item the backend rejects for good, at once, and goes on with the next', async () => {
    const { clock, sender, attempts, count } = harness([{ ms: 10, error: permanentError('http_400', 'HTTP 400: bad data') }]);
    sender.send('bad', 5);
    sender.send('good', 7);
    await clock.advance(100);
    assert.deepEqual(
      attempts.map((a) => [a.item, a.atMs]),
      [
        ['bad', 0],
        ['good', 10],
      ],
    );
    assert.equal(count('dropped', { reason: 'rejected' }), 5);
    assert.equal(count('failed', { reason: 'http_400' }), 1);
    assert.equal(count('sent'), 7);
  });

  it('gives up after max_elapsed_time, counting the wait it would need, or at the first failure when retries are disabled', async () => {
    const failing: Answer = { ms: 10, error: unavailable() };
    const elapsed = harness([failing, failing, failing, failing], {
      retry_on_failure: { enabled: true, initial_interval: 100, max_interval: 300, max_elapsed_time: 400 },
    });
    elapsed.sender.send('a', 3);
    await elapsed.clock.advance(2000);
    // Retries at 110 and 270; after the failure at 280 the next try would be at 505, past 400: dropped at 280.
    assert.deepEqual(
      elapsed.attempts.map((a) => a.atMs),
      [0, 110, 270],
    );
    assert.equal(elapsed.count('dropped', { reason: 'retries_exhausted' }), 3);

    const disabled = harness([failing], { retry_on_failure: { enabled: false, initial_interval: 100, max_interval: 300, max_elapsed_time: 0 } });
    disabled.sender.send('a', 2);
    await disabled.clock.advance(2000);
    assert.equal(disabled.attempts.length, 1);
    assert.equal(disabled.count('dropped', { reason: 'retries_exhausted' }), 2);
    assert.equal(disabled.logs().find((l) => l.msg === 'Test export failing')?.retrying, false);
  });

  it('abandons an attempt at its timeout, aborting its signal, and retries it as a timeout', async () => {
    const { clock, sender, attempts, count } = harness(['hang'], { timeout: 250 });
    sender.send('a', 1);
    await clock.advance(249);
    assert.equal(attempts[0]!.context.signal.aborted, false);
    assert.equal(attempts[0]!.context.timeoutMs, 250);
    await clock.advance(1);
    assert.equal(attempts[0]!.context.signal.aborted, true);
    assert.equal(count('failed', { reason: 'timeout' }), 1);
    await clock.advance(200);
    assert.deepEqual(
      attempts.map((a) => a.atMs),
      [0, 350],
    );
    assert.equal(attempts[1]!.context.signal.aborted, false, 'a completed push is not aborted');
    assert.equal(count('sent'), 1);
  });

  it('drops the oldest items past queue_size, the one being retried included, and warns once', async () => {
    const failing: Answer = { ms: 10, error: unavailable() };
    const { clock, sender, count, logs } = harness([failing, failing], { sending_queue: { queue_size: 2 } });
    sender.send('a', 1);
    await clock.advance(50);
    assert.equal(sender.queueLength, 1, 'a waits its backoff at the head');
    sender.send('b', 10);
    sender.send('c', 100);
    assert.equal(count('dropped', { reason: 'queue_full' }), 1, 'a was the oldest');
    sender.send('d', 1000);
    assert.equal(count('dropped', { reason: 'queue_full' }), 11, 'then b');
    assert.equal(sender.queueLength, 2);
    assert.equal(count('queue.size'), 2);
    assert.equal(logs().filter((l) => l.msg === 'Test sending queue full: dropping the oldest exports').length, 1);
    await clock.advance(1000);
    assert.equal(count('sent'), 1100, 'c and d');
  });

  it('logs the transitions once each: failing (redacted) and recovered, with how long, how many attempts and what was dropped', async () => {
    const failing: Answer = { ms: 10, error: retryableError('http_503', 'HTTP 503: token s3cret refused') };
    const { clock, sender, logs } = harness([failing, failing, failing], { sending_queue: { queue_size: 1 } });
    sender.send('a', 4);
    await clock.advance(50);
    sender.send('b', 6);
    await clock.advance(2000);
    const failingLines = logs().filter((l) => l.msg === 'Test export failing');
    const recovered = logs().filter((l) => l.msg === 'Test export recovered');
    assert.equal(failingLines.length, 1);
    assert.deepEqual(
      {
        level: failingLines[0]!.level,
        url: failingLines[0]!.url,
        reason: failingLines[0]!.reason,
        error: failingLines[0]!.error,
        retrying: failingLines[0]!.retrying,
      },
      { level: 'warn', url: 'http://backend', reason: 'http_503', error: 'HTTP 503: token *** refused', retrying: true },
    );
    assert.equal(recovered.length, 1);
    // a fails at 10 and is pushed out by b at 50; b fails at 120 (first try at 110) and 280, succeeds at 515.
    assert.deepEqual(
      {
        level: recovered[0]!.level,
        failed_for_ms: recovered[0]!.failed_for_ms,
        failed_attempts: recovered[0]!.failed_attempts,
        dropped_samples: recovered[0]!.dropped_samples,
      },
      { level: 'info', failed_for_ms: 505, failed_attempts: 3, dropped_samples: 4 },
    );
  });

  it('shutdown gives every queued item and the final one a last attempt, waiting for the one in flight', async () => {
    const { clock, sender, attempts, count } = harness([{ ms: 40 }, { ms: 10, error: unavailable() }, { ms: 10 }, { ms: 10 }]);
    sender.send('a', 1);
    sender.send('b', 10);
    sender.send('c', 100);
    await clock.advance(20);
    const done = sender.shutdown({ item: 'final', size: 1000 });
    await clock.until(done, 4000);
    assert.deepEqual(
      attempts.map((a) => [a.item, a.atMs, a.context.flushing]),
      [
        ['a', 0, false],
        ['b', 40, true],
        ['c', 50, true],
        ['final', 60, true],
      ],
    );
    assert.equal(count('sent'), 1101);
    assert.equal(count('dropped', { reason: 'shutdown' }), 10, 'b failed its last attempt: no retry during shutdown');
    assert.equal(sender.shutdown(), done, 'a second shutdown is the same one');
    sender.send('late', 5);
    assert.equal(count('dropped', { reason: 'shutdown' }), 15, 'sent after shutdown: counted, not lost silently');
  });

  it('shutdown is bounded by its budget: an attempt still in flight is abandoned and everything left is counted as dropped', async () => {
    const { clock, sender, attempts, count } = harness(['hang'], { timeout: 10_000 }, 500);
    sender.send('a', 1);
    sender.send('b', 10);
    await clock.advance(100);
    const done = sender.shutdown({ item: 'final', size: 100 });
    await clock.until(done, 10_000);
    assert.equal(clock.now, 600, 'the budget, not the attempt timeout');
    assert.equal(attempts.length, 1, 'b and the final item never got their turn');
    assert.equal(attempts[0]!.context.signal.aborted, true);
    assert.equal(count('dropped', { reason: 'shutdown' }), 111);
    assert.equal(count('sent'), 0);
    assert.equal(sender.queueLength, 0);

    const idle = harness(['hang'], { timeout: 10_000 }, 500);
    await idle.clock.until(idle.sender.shutdown({ item: 'final', size: 1 }), 10_000);
    assert.equal(idle.attempts[0]!.context.timeoutMs, 500, 'a flush attempt gets what is left of the budget');
    assert.equal(idle.clock.now, 500);
    assert.equal(idle.count('dropped', { reason: 'shutdown' }), 1);
  });

  it('accounts for every unit sent in exactly once, as delivered or dropped, whatever the backend does', async () => {
    const answers: Answer[] = [];
    // A fixed, varied sequence: successes, retryable and permanent failures, slow answers, hangs.
    for (let i = 0; i < 200; i++) {
      const kind = (i * 7919) % 11;
      if (kind < 5) answers.push({ ms: 5 + (i % 40) });
      else if (kind < 8) answers.push({ ms: 5, error: unavailable() });
      else if (kind < 9) answers.push({ ms: 5, error: permanentError('http_400', 'bad') });
      else if (kind < 10) answers.push({ ms: 5, error: new Error('socket hang up') });
      else answers.push('hang');
    }
    const { clock, sender, count } = harness(
      answers,
      { sending_queue: { queue_size: 3 }, timeout: 200, retry_on_failure: { enabled: true, initial_interval: 20, max_interval: 80, max_elapsed_time: 500 } },
      300,
    );
    let total = 0;
    for (let tick = 0; tick < 100; tick++) {
      sender.send(`item-${tick}`, tick + 1);
      total += tick + 1;
      await clock.advance(37);
    }
    await clock.until(sender.shutdown({ item: 'final', size: 1 }), 1000);
    total += 1;
    assert.equal(count('sent') + count('dropped'), total);
    for (const reason of ['queue_full', 'rejected', 'retries_exhausted', 'shutdown']) assert.ok(count('dropped', { reason }) >= 0);
    assert.ok(
      count('sent') > 0 && count('dropped', { reason: 'rejected' }) > 0 && count('dropped', { reason: 'queue_full' }) > 0,
      'the sequence exercised several outcomes',
    );
  });
});

describe('exporterhelper errors', () => {
  it('classifies HTTP statuses: 429 and 5xx may succeed later, other statuses will not', () => {
    const table: [number, boolean][] = [
      [400, false],
      [401, false],
      [403, false],
      [404, false],
      [413, false],
      [429, true],
      [500, true],
      [502, true],
      [503, true],
      [504, true],
    ];
    assert.deepEqual(
      table.map(([status]) => [status, httpStatusError(status).retryable]),
      table,
    );
    const error = httpStatusError(400, 'out of order sample\n  for series x', undefined);
    assert.deepEqual([error.reason, error.message], ['http_400', 'HTTP 400: out of order sample for series x']);
    assert.equal(httpStatusError(429, '', 3000).retryAfterMs, 3000);
  });

  it('takes any other error as retryable, keeping a system error code as the reason', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.deepEqual([toExportError(refused).retryable, toExportError(refused).reason], [true, 'ECONNREFUSED']);
    assert.deepEqual([toExportError('boom').retryable, toExportError('boom').reason, toExportError('boom').message], [true, 'error', 'boom']);
    const permanent = permanentError('http_401', 'HTTP 401');
    assert.equal(toExportError(permanent), permanent);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-06T04:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Sun, 06 Dec 2026 04:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Sun, 06 Dec 2026 03:00:00 GMT', now), 0, 'a date in the past: no wait');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});
