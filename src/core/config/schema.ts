/**
 * Building blocks for component config schemas. Every component uses these so that all configs
 * reject unknown keys the same way, parse durations the same way, and report errors the same way.
 */
import { z } from 'zod';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../duration.js';
import type { ConfigPath } from './errors.js';

/** A mapping that rejects unknown keys and names the valid ones. */
export function configObject<T extends z.ZodRawShape>(shape: T) {
  const valid = Object.keys(shape).sort().join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `valid keys: ${valid}` : undefined),
  });
}

/**
 * A Go-style duration (`250ms`, `10s`, `1m30s`), parsed to milliseconds. Give defaults with `.prefault('10s')`.
 * At most `max` (default and ceiling: MAX_DURATION_MS, one day), at least `min` when given.
 */
export function duration(options: { min?: number; max?: number } = {}) {
  const max = Math.min(options.max ?? MAX_DURATION_MS, MAX_DURATION_MS);
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `invalid duration "${text}": expected a number with a unit (ns, us, ms, s, m, h), e.g. 250ms, 10s, 1m30s` });
      return z.NEVER;
    }
    if (options.min !== undefined && ms < options.min) {
      ctx.addIssue({ code: 'custom', message: `duration "${text}" is too short: must be at least ${options.min}ms` });
      return z.NEVER;
    }
    if (!(ms <= max)) {
      ctx.addIssue({ code: 'custom', message: `duration "${text}" is too long: must be at most ${formatDuration(max)}` });
      return z.NEVER;
    }
    return ms;
  });
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string): HostPort | undefined {
  const match = HOST_PORT.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/** `host:port` or `[v6]:port`, kept as written (it is also the `zk.endpoint` label value). */
export function hostPort() {
  return z.string().refine((text) => parseHostPort(text) !== undefined, {
    error: (issue) => `invalid endpoint ${JSON.stringify(issue.input)}: expected host:port (port 1-65535), e.g. 127.0.0.1:2181`,
  });
}

/** A byte size: a whole number or a string such as `512KiB`, `1MiB`, `10MB`. */
export function byteSize() {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const bytes = typeof value === 'number' ? value : parseByteSize(value);
    if (bytes === undefined || !Number.isInteger(bytes) || bytes <= 0) {
      ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(value)}: expected a positive whole number of bytes or e.g. 512KiB, 1MiB` });
      return z.NEVER;
    }
    return bytes;
  });
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

function parseByteSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const factor = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  return match && factor !== undefined ? Math.round(Number(match[1]) * factor) : undefined;
}

export interface SchemaProblem {
  readonly path: ConfigPath;
  readonly message: string;
}

/** Turns zod issues into one problem per offending field, with a message a user can act on. */
export function schemaProblems(error: z.ZodError): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: [...path, key], message: `unknown key "${key}" (${issue.message})` });
    } else if (issue.code === 'invalid_type') {
      const got = issue.input === undefined ? 'nothing' : describeType(issue.input);
      problems.push({ path, message: issue.input === undefined ? `required: expected ${issue.expected}` : `expected ${issue.expected}, got ${got}` });
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  return problems;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `max_connections` of an HTTP server: how many connections it holds at once (see internal/webserver/http-server.ts). */
export function maxConnections(defaultValue: number) {
  return z.number().int().min(1, 'must be at least 1').max(65_535, 'must be at most 65535').default(defaultValue);
}
