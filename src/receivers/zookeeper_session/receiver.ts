import { asyncScheduler, defer, finalize, map, Observable } from 'rxjs';
import type { Batch } from '../../core/batch.js';
import type { CreateSettings, Receiver } from '../../core/component.js';
import { parseHostPort } from '../../core/config/schema.js';
import { roundsEvery } from '../../internal/scraperhelper/rounds.js';
import { receiverTargets } from '../../internal/targets/targets.js';
import { targetReceiver, type TargetContext } from '../../internal/targets/target-receiver.js';
import { clientFactory } from '../../internal/zkclient/client.js';
import { dialer, socketOpener } from '../../internal/zkclient/dial.js';
import { SESSION_RECEIVER_ATTRIBUTES } from './attributes.js';
import { authInfo, type ZookeeperSessionReceiverConfig } from './config.js';

/** Reserved when the receiver is made outside a registry (which gives the union of every receiver's). */
const OWN_ATTRIBUTES: ReadonlySet<string> = new Set(SESSION_RECEIVER_ATTRIBUTES);
import { SessionMetrics } from './metrics.js';
import { measureReplication } from './replication.js';
import { agentToken, ServerProbe, type ProbeContext } from './server-probe.js';

/**
 * One probe loop per server, each with its own session: a dead or hung server delays nobody else, and rounds
 * of one server never overlap (`roundsEvery` skips ticks while a round runs). After its own operations, each
 * server's round writes once for the replication lag that every other connected server's session reports.
 */
export function createZookeeperSessionReceiver(settings: CreateSettings, config: ZookeeperSessionReceiverConfig): Receiver {
  const probes = new Map<string, ServerProbe>();
  const closing = new Set<Promise<void>>();
  const scheduler = settings.scheduler ?? asyncScheduler;
  const via = socketOpener(config.tls);
  const context: ProbeContext = { config, transport: via, dial: dialer(via, scheduler), logger: settings.logger, scheduler };
  const token = agentToken();
  // The seed session of ensemble discovery reaches the seeds as the probes do: same TLS, same credentials, same clock.
  const seedClient = clientFactory(via, config.auth ? () => authInfo(config.auth!) : undefined, scheduler);
  const targets = receiverTargets(settings, config, seedClient, OWN_ATTRIBUTES);

  const serverBatches = ({ target, source, identity }: TargetContext): Observable<Batch> => {
    const { endpoint } = target;
    return defer(() => {
      const probe = new ServerProbe(
        endpoint,
        parseHostPort(endpoint)!,
        new SessionMetrics(identity, scheduler.now()),
        { ...context, logger: settings.logger.child({ endpoint }) },
        token,
      );
      probes.set(endpoint, probe);
      const round = async () => {
        await probe.round();
        if (config.replication_lag.enabled) {
          const readers = [...probes.values()].filter((other) => other !== probe);
          await measureReplication(probe, readers, config.replication_lag.timeout, config.auth !== undefined, scheduler);
        }
      };
      return roundsEvery(round, { initialDelayMs: config.initial_delay, intervalMs: config.collection_interval }, scheduler).pipe(
        map((): Batch => ({ source, timeMs: scheduler.now(), startTimeMs: probe.metrics.startTimeMs, samples: probe.metrics.samples() })),
        finalize(() => {
          if (probes.get(endpoint) === probe) probes.delete(endpoint);
          for (const other of probes.values()) other.metrics.forgetSource(endpoint);
          const closed = probe.close().catch(() => {});
          closing.add(closed);
          void closed.then(() => closing.delete(closed));
        }),
      );
    });
  };

  const loops = targetReceiver(settings, targets, config.cluster, serverBatches);
  return {
    batches: loops.batches,
    get sourcesPerRound() {
      return loops.sourcesPerRound;
    },
    // Unsubscribing started closing every session; wait until their ephemeral znodes are gone.
    shutdown: async () => {
      await Promise.all([...closing]);
    },
  };
}
