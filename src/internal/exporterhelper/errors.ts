/**
 * What a failed push means for the sending queue. A push function reports failure by throwing (or erroring its
 * Observable); `ExportError` says whether a later attempt may succeed. Anything else thrown (a socket error, a
 * bug in a client library) is taken as retryable: a network error usually is, and a permanent one is then still
 * bounded by `retry_on_failure.max_elapsed_time` and the queue size.
 */
export class ExportError extends Error {
  constructor(
    /** Whether a later attempt with the same data may succeed. */
    readonly retryable: boolean,
    /** Short and stable, for logs and the `reason` attribute of the failure counter: `http_503`, `grpc_unavailable`, `timeout`. */
    readonly reason: string,
    message: string,
    /** The backend asked to wait this long before the next attempt (HTTP `Retry-After`): a floor for the backoff. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

export function permanentError(reason: string, message: string): ExportError {
  return new ExportError(false, reason, message);
}

export function retryableError(reason: string, message: string, retryAfterMs?: number): ExportError {
  return new ExportError(true, reason, message, retryAfterMs);
}

/** Any error thrown by a push, as the queue sees it. */
export function toExportError(error: unknown): ExportError {
  if (error instanceof ExportError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = oneLine(error instanceof Error ? error.message : String(error ?? 'export failed'));
  return retryableError(typeof code === 'string' && code !== '' ? code : 'error', message);
}

/**
 * The usual rule for an HTTP answer that is not 2xx, as Prometheus remote write states it: 5xx and 429 may
 * succeed later, every other status will not (400 bad data, 401/403 credentials, 404 wrong URL, 413 too large).
 * Protocols with a narrower list (OTLP retries only 429, 502, 503, 504) classify themselves.
 */
export function httpStatusError(status: number, body = '', retryAfterMs?: number): ExportError {
  const detail = body.trim() === '' ? '' : `: ${oneLine(body)}`;
  const message = `HTTP ${status}${detail}`;
  const retryable = status === 429 || (status >= 500 && status <= 599);
  return retryable ? retryableError(`http_${status}`, message, retryAfterMs) : permanentError(`http_${status}`, message);
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** One line of at most 300 characters: error bodies can be whole HTML pages. */
export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
