/**
 * Process helpers shared by the harness modules: spawnLogged, pollUntil, tailFile, fourLetterWord.
 * A process 'exit' hook SIGKILLs every child still running, so a crashed test never leaves JVMs
 * (or Prometheus) behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
// ---------------------------------------------------------------------------------------------------------------

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

/** SIGKILLs every child started through spawnLogged that is still running. Called from the process 'exit' hook. */
export function killAllChildren(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = (): void => {
    killAllChildren();
    for (const dir of tempDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // best effort: a dying child may still be writing there
      }
    }
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanup();
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Registers a temp dir to be removed (best effort) when the process exits, in case stop() is never called. */
export function registerTempDir(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
}

export function unregisterTempDir(dir: string): void {
  tempDirs.delete(dir);
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnLoggedOptions {
  /** stdout and stderr of the child are appended to this file. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also mirror the child's output to this process's stderr, each chunk prefixed with this label. */
  echoPrefix?: string;
}

/** A child process whose output goes to a log file; unref()'d so it never keeps the test process alive by itself. */
export class LoggedProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly command: string;
  /** Resolves when the process has exited (or failed to spawn). */
  readonly exited: Promise<ExitStatus>;
  exitStatus: ExitStatus | undefined;
  private spawnError: Error | undefined;

  constructor(command: string, args: string[], options: SpawnLoggedOptions) {
    installExitHook();
    this.command = command;
    this.logFile = options.logFile;
    const echo = options.echoPrefix;
    const fd = fs.openSync(options.logFile, 'a');
    try {
      this.child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: echo === undefined ? ['ignore', fd, fd] : ['ignore', 'pipe', 'pipe'],
      });
    } finally {
      if (echo === undefined) fs.closeSync(fd);
    }
    const child = this.child;
    if (echo !== undefined) {
      const file = fs.createWriteStream('', { fd, flags: 'a' });
      const forward = (chunk: Buffer): void => {
        file.write(chunk);
        const text = chunk.toString('utf8').replace(/\n$/, '');
        process.stderr.write(
          text
            .split('\n')
            .map((line) => `${echo} ${line}\n`)
            .join(''),
        );
      };
      child.stdout?.on('data', forward);
      child.stderr?.on('data', forward);
      (child.stdout as unknown as net.Socket | null)?.unref?.();
      (child.stderr as unknown as net.Socket | null)?.unref?.();
      child.once('close', () => file.end());
    }
    this.exited = new Promise<ExitStatus>((resolve) => {
      child.once('error', (err) => {
        this.spawnError = err;
        liveChildren.delete(child);
        this.exitStatus ??= { code: null, signal: null };
        resolve(this.exitStatus);
      });
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    if (child.pid === undefined) {
      throw new Error(`failed to spawn ${command}: ${this.spawnError?.message ?? 'no pid (is it installed?)'}`);
    }
    liveChildren.add(child);
    child.unref();
  }

  /** The PID while the process runs, undefined once it has exited. */
  get pid(): number | undefined {
    return this.exitStatus === undefined ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Sends `signal`, waits for exit; SIGKILL after `killAfterMs` if it is still running. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<ExitStatus> {
    if (this.exitStatus !== undefined) return this.exitStatus;
    this.child.ref(); // keep the event loop alive while we wait for the exit event
    try {
      this.child.kill(signal);
      if (!(await exitedWithin(this.exited, killAfterMs))) {
        this.child.kill('SIGKILL');
        if (!(await exitedWithin(this.exited, 10_000))) {
          throw new Error(`${this.command} (pid ${this.child.pid}) did not exit after SIGKILL`);
        }
      }
      return this.exitStatus ?? { code: null, signal: null };
    } finally {
      this.child.unref();
    }
  }

  /** Sends a signal without waiting (e.g. SIGSTOP/SIGCONT to freeze a server). */
  signal(signal: NodeJS.Signals): void {
    if (this.exitStatus === undefined) this.child.kill(signal);
  }

  tail(lines = 30): string {
    return tailFile(this.logFile, lines);
  }
}

async function exitedWithin(exited: Promise<ExitStatus>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function spawnLogged(command: string, args: string[], options: SpawnLoggedOptions): LoggedProcess {
  return new LoggedProcess(command, args, options);
}

/** The last `lines` lines of a (log) file, or a note when it cannot be read. */
export function tailFile(file: string, lines = 30): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      const all = buf.toString('utf8').split('\n');
      if (all.at(-1) === '') all.pop();
      return all.slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  timeoutMs: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  what: string;
  /** Extra context appended to the timeout error (e.g. log tails). */
  context?: () => string;
  /** Called before every attempt: a returned string aborts the wait at once with that message (e.g. a process died). */
  abort?: () => string | undefined;
}

/**
 * Calls `fn` until it returns a truthy value (returned) or the deadline passes (throws, with the last
 * falsy result or error and `context()`). Errors thrown by `fn` count as "not yet".
 */
export async function pollUntil<T>(fn: () => Promise<T> | T, options: PollOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let last = 'no attempt made';
  for (;;) {
    const aborted = options.abort?.();
    if (aborted !== undefined) {
      throw new Error(`${options.what}: ${aborted}${options.context ? '\n' + options.context() : ''}`);
    }
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      last = `last result: ${String(value)}`;
    } catch (err) {
      last = `last error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what} (${last})` + (options.context ? '\n' + options.context() : ''));
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Sends a ZooKeeper four-letter command over a new plain TCP connection and resolves with the whole reply
 * (ZooKeeper closes the connection after answering). Rejects on connection errors and after `timeoutMs`.
 */
export function fourLetterWord(host: string, port: number, cmd: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => finish(new Error(`'${cmd}' to ${host}:${port} timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(cmd));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after a complete reply still carries the reply.
      if (err.code === 'ECONNRESET' && chunks.length > 0) finish();
      else finish(new Error(`'${cmd}' to ${host}:${port} failed: ${err.message}`));
    });
  });
}
