/** Runs a zookeeper_session receiver in-process and keeps its batches and logs; a plain ZooKeeper client for checks. */
import { filter, type SchedulerLike, type Subscription } from 'rxjs';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { isBatch, type Batch, type HistogramValue, type Sample } from '../../../src/core/batch.js';
import { createLogger, type Logger } from '../../../src/core/logger.js';
import { zookeeperSessionReceiverFactory } from '../../../src/receivers/zookeeper_session/factory.js';
import { testSettings } from '../../harness/settings.js';

// Its implementation is imported on first use (src/core/lazy-module.ts), as the service does before creating one.
await zookeeperSessionReceiverFactory.load?.();

export interface RunningReceiver {
  /** Every batch, per endpoint. */
  readonly batches: Map<string, Batch[]>;
  readonly logs: Record<string, unknown>[];
  readonly logText: () => string;
  latest(endpoint: string): Batch | undefined;
  /** Unsubscribes and waits for the receiver's shutdown (sessions closed). */
  stop(): Promise<void>;
}

/** `scheduler`: the receiver's clock (virtual time in tests); the wall clock when absent. */
export function runReceiver(config: Record<string, unknown>, scheduler?: SchedulerLike): RunningReceiver {
  const lines: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const logger: Logger = createLogger('info', (line) => {
    lines.push(line);
    logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const receiver = zookeeperSessionReceiverFactory.createReceiver(
    { ...testSettings('zookeeper_session', logger), scheduler },
    zookeeperSessionReceiverFactory.configSchema.parse(config),
  );
  const batches = new Map<string, Batch[]>();
  const subscription: Subscription = receiver.batches.pipe(filter(isBatch)).subscribe((batch) => {
    const endpoint = batch.source.split('|')[1]!;
    batches.set(endpoint, [...(batches.get(endpoint) ?? []), batch]);
  });
  let stopped = false;
  return {
    batches,
    logs,
    logText: () => lines.join('\n'),
    latest: (endpoint) => batches.get(endpoint)?.at(-1),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      subscription.unsubscribe();
      await receiver.shutdown?.();
    },
  };
}

export function findSample(batch: Batch | undefined, name: string, attributes: Record<string, string> = {}): Sample | undefined {
  return batch?.samples.find((s) => s.metric.name === name && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v));
}

export function histogramOf(batch: Batch | undefined, name: string, attributes: Record<string, string> = {}): HistogramValue | undefined {
  return findSample(batch, name, attributes)?.histogram;
}

/** Errors counted with `attributes`, summed over every series that has them (`{ code }`: over all operations). */
export function errorCount(batch: Batch | undefined, attributes: Record<string, string>): number {
  const matching =
    batch?.samples.filter(
      (s) => s.metric.name === 'zookeeper.client.operation.errors' && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v),
    ) ?? [];
  return matching.reduce((sum, sample) => sum + sample.value, 0);
}

/** A connected plain client (for setting up and checking znodes), closed after `use`. */
export async function withClient<T>(connectString: string, use: (client: Client) => Promise<T>, auth?: string): Promise<T> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 10_000, retries: 0 });
  if (auth) client.addAuthInfo('digest', Buffer.from(auth));
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`test client: no session with ${connectString} within 10 s`)), 10_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.connect();
  try {
    await connected;
    return await use(client);
  } finally {
    client.close();
  }
}

/** A promise for a node-zookeeper-client call. */
export function zk<T>(invoke: (done: (error: unknown, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => invoke((error, value) => (error ? reject(error as Error) : resolve(value))));
}
