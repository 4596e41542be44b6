import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEnsemble, type Ensemble } from '../../harness/ensemble.js';
import { pollUntil } from '../../harness/process.js';
import { errorCount, histogramOf, runReceiver } from './run.js';

describe('zookeeper_session receiver on a server in read-only mode', () => {
  let ensemble: Ensemble;

  before(async () => {
    // readonlymode.enabled: a server that loses its quorum keeps serving reads to clients that accept read-only sessions.
    ensemble = await startEnsemble({ size: 3, jvmArgs: ['-Dreadonlymode.enabled=true'] });
    await ensemble.waitReady();
  });
  after(() => ensemble?.stop());

  it('reports READ_ONLY, not NO_QUORUM nor a mere connection loss', async () => {
    const [survivor, ...others] = ensemble.nodes;
    const receiver = runReceiver({ endpoint: survivor!.endpoint, collection_interval: '200ms', timeout: '1500ms' });
    try {
      await pollUntil(
        () => (histogramOf(receiver.latest(survivor!.endpoint), 'zookeeper.client.operation.duration', { operation: 'delete' })?.count ?? 0) > 0,
        {
          timeoutMs: 30_000,
          what: 'a first round',
        },
      );
      await Promise.all(others.map((node) => ensemble.stopNode(node.id)));
      const readOnly = await pollUntil(() => errorCount(receiver.latest(survivor!.endpoint), { operation: 'connect', code: 'READ_ONLY' }) || undefined, {
        timeoutMs: 30_000,
        what: 'READ_ONLY to be counted',
        context: () =>
          `${JSON.stringify(
            receiver
              .latest(survivor!.endpoint)
              ?.samples.filter((s) => s.metric.kind === 'counter')
              .map((s) => [s.attributes, s.value]),
          )}\n${receiver.logText()}`,
      });
      // From then on every failed connect is READ_ONLY: neither NO_QUORUM nor CONNECTION_LOSS grows any more.
      const otherCodes = (batch = receiver.latest(survivor!.endpoint)) => [
        errorCount(batch, { operation: 'connect', code: 'NO_QUORUM' }),
        errorCount(batch, { operation: 'connect', code: 'CONNECTION_LOSS' }),
      ];
      const othersThen = otherCodes();
      await pollUntil(() => errorCount(receiver.latest(survivor!.endpoint), { operation: 'connect', code: 'READ_ONLY' }) >= readOnly + 3 || undefined, {
        timeoutMs: 30_000,
        what: 'three more READ_ONLY connects',
      });
      assert.deepEqual(otherCodes(), othersThen);
    } finally {
      await receiver.stop();
    }
  });
});
