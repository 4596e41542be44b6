/**
 * A small structured logger: JSON lines on stderr, one object per event, so logs can be shipped as they are; on a
 * terminal, one readable line per event instead. Components get a child logger that carries their id.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => process.stderr.write(line + '\n');

export type LogFormat = 'json' | 'text';

/** JSON unless stderr is a terminal (a person is reading). */
export function defaultLogFormat(): LogFormat {
  return process.stderr.isTTY ? 'text' : 'json';
}

export function createLogger(level: LogLevel = 'info', sink: LogSink = stderrSink, bound: LogFields = {}, format: LogFormat = 'json'): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return;
    const event = { time: new Date().toISOString(), level: lvl, msg, ...bound, ...fields };
    sink(format === 'json' ? JSON.stringify(event, errorReplacer) : formatText(event));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(level, sink, { ...bound, ...fields }, format),
  };
}

/** `12:00:01.123 WARN  endpoint down component=zookeeper endpoint=127.0.0.1:2181 reason=refused` */
function formatText({ time, level, msg, ...fields }: LogFields & { time: string; level: LogLevel; msg: string }): string {
  const context = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value, errorReplacer)}`)
    .join(' ');
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${context ? ' ' + context : ''}`;
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}

export const silentLogger: Logger = createLogger('error', () => {});
