import { asyncScheduler, defer, exhaustMap, filter, finalize, map, Observable } from 'rxjs';
import { collectionTicks, tickPhase } from '../../internal/targets/per-target.js';
import type { Batch } from '../../core/batch.js';
import type { CreateSettings, Receiver } from '../../core/component.js';
import { parseHostPort } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { SECONDS_BUCKETS } from '../../core/telemetry.js';
import { receiverTargets } from '../../internal/targets/targets.js';
import { targetReceiver, type TargetContext } from '../../internal/targets/target-receiver.js';
import { ClientTlsLoader } from '../../internal/tls/client-tls.js';
import { clientFactory } from '../../internal/zkclient/client.js';
import { socketOpener as zkTransport } from '../../internal/zkclient/dial.js';
import { AdminTransport } from './admin.js';
import { ZOOKEEPER_RECEIVER_ATTRIBUTES } from './attributes.js';
import { adminBaseUrl, type ZookeeperReceiverConfig } from './config.js';
import { FourLetterWordTransport, type Transport } from './transport.js';
import { probeEndpoint, type ProbeOutcome } from './probe.js';
import { SampleMapper } from './samples.js';

const MAX_LOGGED_ODD_LINES = 20;
/** Reserved when the receiver is made outside a registry (which gives the union of every receiver's). */
const OWN_ATTRIBUTES: ReadonlySet<string> = new Set(ZOOKEEPER_RECEIVER_ATTRIBUTES);

/** The receiver's own zkotel.receiver.* telemetry, per receiver id. */
interface ProbeTelemetry {
  observe(outcome: ProbeOutcome): void;
  skipped(ticks: number): void;
}

function probeTelemetry(settings: CreateSettings): ProbeTelemetry {
  const receiver = Object.freeze({ receiver: settings.id });
  const duration = settings.telemetry.histogram('zkotel.receiver.probe.duration', { unit: 's', boundaries: SECONDS_BUCKETS, description: 'How long probes took, all endpoints of the receiver together.' });
  const failures = settings.telemetry.counter('zkotel.receiver.probe.failures', { description: 'Commands of probes that failed, by reason.' });
  const skipped = settings.telemetry.counter('zkotel.receiver.probe.skipped', { description: 'Collection ticks skipped because the previous probe of the endpoint was still running.' });
  return {
    observe: (outcome) => {
      duration(receiver, outcome.durationMs / 1000);
      for (const failure of outcome.failures) failures({ receiver: settings.id, reason: failure.error.reason }, 1);
    },
    skipped: (ticks) => skipped(receiver, ticks),
  };
}

export function createZookeeperReceiver(settings: CreateSettings, config: ZookeeperReceiverConfig): Receiver {
  const telemetry = probeTelemetry(settings);
  // One loader for all endpoints: the files are read once and re-read only when they change.
  const tls = config.tls ? new ClientTlsLoader(config.tls, settings.logger) : undefined;
  const transportFor = (endpoint: string): Transport => {
    const options = { consMaxAddresses: config.cons_max_addresses, consMaxConnections: config.cons_max_connections, ...(tls ? { tls } : {}) };
    return config.protocol === 'admin' ? new AdminTransport(adminBaseUrl(config.admin, endpoint), options) : new FourLetterWordTransport(parseHostPort(endpoint)!, options);
  };
  // With four-letter words the endpoints are client ports, so the seed session speaks the same TLS to them;
  // with the AdminServer, `tls` is for https and the client ports stay plain.
  const seedClient = clientFactory(zkTransport(config.protocol === 'four_letter_words' ? config.tls : undefined));
  const targets = receiverTargets(settings, config, seedClient, OWN_ATTRIBUTES);
  return targetReceiver(settings, targets, config.cluster, (target) => targetBatches(settings, config, target, telemetry, transportFor));
}

/**
 * One independent probe loop per endpoint: a dead or hung endpoint delays nobody else. Probes of one
 * endpoint never overlap: a tick that finds the previous probe still running is skipped and counted, and so is
 * every tick lost while the event loop was blocked past it (probes done + skipped = ticks scheduled).
 */
function targetBatches(settings: CreateSettings, config: ZookeeperReceiverConfig, { target, source, identity }: TargetContext, telemetry: ProbeTelemetry, transportFor: (endpoint: string) => Transport): Observable<Batch> {
  const { endpoint } = target;
  return defer(() => {
    const mapper = new SampleMapper(identity);
    const transport = transportFor(endpoint);
    const health = new EndpointHealth(settings.logger.child({ endpoint }));
    let probing = false;
    let skippedTicks = 0;
    const scheduler = settings.scheduler ?? asyncScheduler;
    return collectionTicks(config.initial_delay, config.collection_interval, tickPhase(endpoint, config.collection_interval), scheduler).pipe(
      filter((lost) => {
        const skipped = lost + (probing ? 1 : 0);
        if (skipped > 0) {
          skippedTicks += skipped;
          telemetry.skipped(skipped);
        }
        return !probing;
      }),
      exhaustMap(() => {
        probing = true;
        return abortable((signal) =>
          probeEndpoint({
            commands: config.commands,
            timeoutMs: config.timeout,
            maxBytes: config.max_response_bytes,
            signal,
            transport,
          }),
        ).pipe(finalize(() => (probing = false)));
      }),
      map((outcome): Batch => {
        const timeMs = scheduler.now();
        health.observe(outcome, timeMs);
        telemetry.observe(outcome);
        return { source, timeMs, startTimeMs: health.upSinceMs ?? timeMs, samples: mapper.toSamples(outcome, skippedTicks) };
      }),
      finalize(() => transport.close()),
    );
  });
}

/** Why a probe in flight is abandoned when its loop stops: one shared reason, so no DOMException is built per stop. */
const LOOP_STOPPED = Object.freeze(new Error('the probe loop stopped'));

/** A promise-returning task as an Observable whose unsubscription before it settles aborts the task. */
function abortable<T>(task: (signal: AbortSignal) => Promise<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    task(controller.signal).then(
      (value) => {
        settled = true;
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => {
        settled = true;
        subscriber.error(error);
      },
    );
    // Teardown runs after completion too: aborting a finished task would only cost an abort event.
    return () => {
      if (!settled) controller.abort(LOOP_STOPPED);
    };
  });
}

/** Logs each endpoint up/down transition once, and tracks since when its counters have been counting. */
class EndpointHealth {
  private state: string | undefined;
  private readonly loggedOddLines = new Set<string>();
  upSinceMs: number | undefined;

  constructor(private readonly logger: Logger) {}

  observe(outcome: ProbeOutcome, timeMs: number): void {
    const failure = outcome.failures[0];
    const state = failure ? `${failure.command}:${failure.error.reason}` : 'up';
    if (state !== this.state) {
      if (failure) this.logger.warn('endpoint down', { command: failure.command, reason: failure.error.reason, error: failure.error.message });
      else this.logger.info('endpoint up');
      this.state = state;
    }
    // After an outage the server may have restarted and reset its counters: they count anew from here.
    if (failure) this.upSinceMs = undefined;
    else this.upSinceMs ??= timeMs;
    for (const line of outcome.replies.mntr?.oddLines ?? []) {
      if (this.loggedOddLines.size >= MAX_LOGGED_ODD_LINES || this.loggedOddLines.has(line)) continue;
      this.loggedOddLines.add(line);
      this.logger.warn('unexpected line in mntr reply (counted in zookeeper.mntr.unparsed_lines)', { line: line.slice(0, 200) });
    }
  }
}
