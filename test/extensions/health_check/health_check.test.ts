import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { builtinRegistry } from '../../../src/components.js';
import type { ReloadOutcome } from '../../../src/core/component.js';
import { resolveConfig } from '../../../src/core/config/resolve.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Service } from '../../../src/core/service.js';
import { startFakeZk, type FakeZk } from '../../harness/fake-zk.js';
import { readMntrFixture } from '../../harness/fixtures.js';
import { freePort } from '../../harness/ports.js';
import { pollUntil } from '../../harness/process.js';

const fakes: FakeZk[] = [];
after(() => Promise.all(fakes.map((fake) => fake.close())));

async function startWithHealthCheck(initialDelay: string, reload?: () => Promise<ReloadOutcome>) {
  const zookeeper = await startFakeZk({ kind: 'reply', replies: { mntr: readMntrFixture('mntr-3.8.0-follower.txt'), ruok: 'imok', srvr: 'Mode: follower\n' } });
  fakes.push(zookeeper);
  const health = `127.0.0.1:${await freePort()}`;
  const resolution = resolveConfig(
    {
      value: {
        receivers: { zookeeper: { endpoints: [zookeeper.endpoint], initial_delay: initialDelay } },
        exporters: { prometheus: { endpoint: `127.0.0.1:${await freePort()}` } },
        extensions: { health_check: { endpoint: health } },
        service: { extensions: ['health_check'], pipelines: { metrics: { receivers: ['zookeeper'], exporters: ['prometheus'] } } },
      },
      problems: [],
      warnings: [],
      locate: () => undefined,
    },
    builtinRegistry(),
  );
  assert.deepEqual(resolution.problems, []);
  const service = await Service.start(resolution.config!, silentLogger, reload ? { reload } : {});
  return { service, url: `http://${health}` };
}

describe('health_check extension', () => {
  it('is alive at once, and ready only once every endpoint has been probed', async () => {
    const { service, url } = await startWithHealthCheck('1h');
    try {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const notReady = await fetch(`${url}/readyz`);
      assert.equal(notReady.status, 503);
      assert.deepEqual(await notReady.json(), { status: 'not ready', config_loaded: true, exporters_started: true, first_round_done: false });
      assert.equal((await fetch(`${url}/nope`)).status, 404);
      assert.equal((await fetch(`${url}/healthz`, { method: 'POST' })).status, 405);
      assert.equal((await fetch(`${url}/-/reload`, { method: 'POST' })).status, 501, 'no reload offered by this host');
    } finally {
      await service.shutdown();
    }
    const { service: probing, url: probingUrl } = await startWithHealthCheck('0s');
    try {
      await pollUntil(async () => (await fetch(`${probingUrl}/readyz`)).status === 200, { timeoutMs: 10_000, what: '/readyz to turn 200' });
    } finally {
      await probing.shutdown();
    }
  });

  it('POST /-/reload runs the reload and reports its errors', async () => {
    const outcomes: ReloadOutcome[] = [{ ok: true }, { ok: false, errors: ['config.yaml:3:5: receivers::zookeeper::timeout: invalid duration "x"'] }];
    const { service, url } = await startWithHealthCheck('1h', async () => outcomes.shift()!);
    try {
      const accepted = await fetch(`${url}/-/reload`, { method: 'POST' });
      assert.equal(accepted.status, 200);
      const rejected = await fetch(`${url}/-/reload`, { method: 'POST' });
      assert.equal(rejected.status, 400);
      assert.deepEqual(await rejected.json(), { status: 'rejected', errors: ['config.yaml:3:5: receivers::zookeeper::timeout: invalid duration "x"'] });
      assert.equal((await fetch(`${url}/-/reload`)).status, 405);
    } finally {
      await service.shutdown();
    }
  });
});
