import type { Observable } from 'rxjs';
import type { Attributes, Batch } from '../../core/batch.js';
import type { CreateSettings, Receiver } from '../../core/component.js';
import { perTarget } from './per-target.js';
import type { Target } from './target.js';

/** What a receiver's probe loop of one target needs to know about it. */
export interface TargetContext {
  readonly target: Target;
  /** The batch source of this target: the receiver id and the endpoint. */
  readonly source: string;
  /** Attributes of every series of this target: its discovered attributes, `zk.endpoint`, and `zk.cluster` (its own, else the receiver's). */
  readonly identity: Attributes;
}

/**
 * A receiver made of one probe loop per target, the same way for every ZooKeeper receiver: one source and one
 * identity per endpoint, and `zkotel.receiver.targets` telling how many targets it probes now (0 is worth an alert).
 */
export function targetReceiver(
  settings: CreateSettings,
  targets: Observable<readonly Target[]>,
  cluster: string | undefined,
  loop: (context: TargetContext) => Observable<Batch>,
): Pick<Receiver, 'batches' | 'sourcesPerRound'> {
  const targetGauge = settings.telemetry.gauge('zkotel.receiver.targets', {
    valueType: 'int',
    description: 'Targets (ZooKeeper servers) the receiver probes now: static endpoints plus what discovery found.',
  });
  const receiverAttributes = Object.freeze({ receiver: settings.id });
  const sourceOf = (target: Target) => `${settings.id}|${target.endpoint}`;
  targetGauge(receiverAttributes, 0);
  const loops = perTarget(
    targets,
    sourceOf,
    (target) =>
      loop({
        target,
        source: sourceOf(target),
        // A target's own cluster (file_sd, relabeling) wins over the receiver's.
        identity: Object.freeze({ ...(cluster ? { 'zk.cluster': cluster } : {}), ...target.attributes, 'zk.endpoint': target.endpoint }),
      }),
    settings.logger,
    (count) => targetGauge(receiverAttributes, count),
    settings.scheduler ? () => settings.scheduler!.now() : Date.now,
  );
  return {
    batches: loops.batches,
    get sourcesPerRound() {
      return Math.max(1, loops.targetCount());
    },
  };
}
