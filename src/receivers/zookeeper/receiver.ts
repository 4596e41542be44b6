import { asyncScheduler, Observable } from 'rxjs';
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
import { detached } from './parse.js';
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
  const duration = settings.telemetry.histogram('zkotel.receiver.probe.duration', {
    unit: 's',
    boundaries: SECONDS_BUCKETS,
    description: 'How long probes took, all endpoints of the receiver together.',
  });
  const failures = settings.telemetry.counter('zkotel.receiver.probe.failures', { description: 'Commands of probes that failed, by reason.' });
  const skipped = settings.telemetry.counter('zkotel.receiver.probe.skipped', {
    description: 'Collection ticks skipped because the previous probe of the endpoint was still running.',
  });
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
    return config.protocol === 'admin'
      ? new AdminTransport(adminBaseUrl(config.admin, endpoint), options)
      : new FourLetterWordTransport(parseHostPort(endpoint)!, options);
  };
  // With four-letter words the endpoints are client ports, so the seed session speaks the same TLS to them;
  // with the AdminServer, `tls` is for https and the client ports stay plain.
  const seedClient = clientFactory(zkTransport(config.protocol === 'four_letter_words' ? config.tls : undefined), undefined, settings.scheduler);
  const targets = receiverTargets(settings, config, seedClient, OWN_ATTRIBUTES);
  return targetReceiver(settings, targets, config.cluster, (target) => targetBatches(settings, config, target, telemetry, transportFor));
}

/**
 * One independent probe loop per endpoint: a dead or hung endpoint delays nobody else. Probes of one
 * endpoint never overlap: a tick that finds the previous probe still running is skipped and counted, and so is
 * every tick lost while the event loop was blocked past it (probes done + skipped = ticks scheduled).
 *
 * The loop is one hand-written Observable rather than `filter → exhaustMap(abortable probe) → map`: those built an
 * Observable, subscribers, operators and an AbortController per probe. Here a probe is its promise and one callback;
 * the loop's one AbortController stops a probe in flight when the loop is unsubscribed.
 */
function targetBatches(
  settings: CreateSettings,
  config: ZookeeperReceiverConfig,
  { target, source, identity }: TargetContext,
  telemetry: ProbeTelemetry,
  transportFor: (endpoint: string) => Transport,
): Observable<Batch> {
  const { endpoint } = target;
  return new Observable<Batch>((subscriber) => {
    const mapper = new SampleMapper(identity);
    const transport = transportFor(endpoint);
    const health = new EndpointHealth(settings.logger.child({ endpoint }));
    const stop = new AbortController();
    const probe = { commands: config.commands, timeoutMs: config.timeout, maxBytes: config.max_response_bytes, signal: stop.signal, transport };
    let probing = false;
    let skippedTicks = 0;
    const scheduler = settings.scheduler ?? asyncScheduler;
    const probed = (outcome: ProbeOutcome) => {
      probing = false;
      if (subscriber.closed) return;
      try {
        const timeMs = scheduler.now();
        health.observe(outcome, timeMs);
        telemetry.observe(outcome);
        subscriber.next({ source, timeMs, startTimeMs: health.upSinceMs ?? timeMs, samples: mapper.toSamples(outcome, skippedTicks) });
      } catch (error) {
        subscriber.error(error);
      }
    };
    const failed = (error: unknown) => subscriber.error(error);
    const ticks = collectionTicks(config.initial_delay, config.collection_interval, tickPhase(endpoint, config.collection_interval), scheduler).subscribe({
      next: (lost) => {
        const skipped = lost + (probing ? 1 : 0);
        if (skipped > 0) {
          skippedTicks += skipped;
          telemetry.skipped(skipped);
        }
        if (probing) return;
        probing = true;
        probeEndpoint(probe).then(probed, failed);
      },
      error: failed,
    });
    return () => {
      ticks.unsubscribe();
      stop.abort(LOOP_STOPPED);
      transport.close();
    };
  });
}

/** Why a probe in flight is abandoned when its loop stops: one shared reason, so no DOMException is built per stop. */
const LOOP_STOPPED = Object.freeze(new Error('the probe loop stopped'));

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
      // A copy: the line is a slice of its reply, and would keep the whole reply alive for as long as it is remembered.
      this.loggedOddLines.add(detached(line));
      this.logger.warn('unexpected line in mntr reply (counted in zookeeper.mntr.unparsed_lines)', { line: line.slice(0, 200) });
    }
  }
}
