/**
 * bcrypt comparisons on worker threads, so a flood of logins never blocks the event loop that serves scrapes and
 * runs probes. A few workers at most (bcrypt is CPU work: more than the cores would only slow each one down),
 * started on first use, keeping the process alive only while they compare, and replaced if one dies.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

interface Job {
  readonly id: number;
  readonly password: string;
  readonly hash: string;
  resolve(matches: boolean): void;
  reject(error: Error): void;
}

export class BcryptPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly waiting: Job[] = [];
  private workers = 0;
  private nextId = 0;

  constructor(readonly size: number) {}

  compare(password: string, hash: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, password, hash, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? (this.workers < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.waiting.shift()!;
      this.busy.set(worker, job);
      worker.ref();
      worker.postMessage({ id: job.id, password: job.password, hash: job.hash });
    }
  }

  private spawn(): Worker {
    // The worker needs none of the parent's flags (a test runner's --input-type would even stop it from starting).
    const worker = new Worker(new URL('./bcrypt-worker.js', import.meta.url), { execArgv: [] });
    this.workers++;
    worker.on('message', ({ matches }: { matches: boolean }) => {
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      worker.unref();
      job?.resolve(matches);
      this.dispatch();
    });
    let alive = true;
    const gone = (error: Error) => {
      if (!alive) return;
      alive = false;
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
      this.workers--;
      job?.reject(error);
      this.dispatch();
    };
    worker.once('error', gone);
    worker.once('exit', (code) => gone(new Error(`bcrypt worker exited with code ${code}`)));
    // Referenced only while it works (`dispatch`), so an idle pool never keeps the process alive.
    worker.unref();
    return worker;
  }
}

let shared: BcryptPool | undefined;

/** The process's pool: at most two workers, one on a single core. */
export function sharedBcryptPool(): BcryptPool {
  shared ??= new BcryptPool(Math.max(1, Math.min(2, availableParallelism())));
  return shared;
}
