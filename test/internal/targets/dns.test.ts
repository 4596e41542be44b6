import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DnsConfig } from '../../../src/internal/targets/config.js';
import { dnsTargets } from '../../../src/internal/targets/dns.js';
import { discoverTargets } from '../../../src/internal/targets/targets.js';
import { startDnsServer, TEST_DOMAIN, type DnsServer } from '../../harness/dnsmasq.js';
import { ListRecorder, LogRecorder } from './recorder.js';

const A_NAME = `zk.${TEST_DOMAIN}`;
const SRV_NAME = `_client._tcp.zk.${TEST_DOMAIN}`;

describe('dns (a real DNS server: dnsmasq on loopback)', () => {
  let server: DnsServer;
  before(async () => {
    server = await startDnsServer(
      { [A_NAME]: ['127.0.0.1', '127.0.0.2'] },
      {
        [SRV_NAME]: [
          { target: '127.0.0.1', port: 2181 },
          { target: 'zk-1.example', port: 2182 },
        ],
      },
    );
  });
  after(() => server?.close());

  const watch = (config: Omit<DnsConfig, 'refresh_interval' | 'server'>) => {
    const log = new LogRecorder();
    const recorder = new ListRecorder(dnsTargets({ refresh_interval: 100, server: server.address, ...config }, log.logger));
    return { log, recorder };
  };

  it('A: one target per address on the configured port, following changes', async () => {
    const { recorder } = watch({ names: [A_NAME], type: 'A', port: 2181 });
    try {
      const first = await recorder.untilEndpoints(['127.0.0.1:2181', '127.0.0.2:2181']);
      assert.deepEqual(first[0]?.attributes, {});
      assert.deepEqual(first[0]?.meta, { __meta_zookeeper_source: 'dns', __meta_zookeeper_dns_name: A_NAME });
      await server.setHosts({ [A_NAME]: ['127.0.0.2', '127.0.0.3'] });
      await recorder.untilEndpoints(['127.0.0.2:2181', '127.0.0.3:2181']);
    } finally {
      recorder.stop();
    }
  });

  it('SRV: `target:port` per record, following changes; a name that stops existing has no targets', async () => {
    const { recorder } = watch({ names: [SRV_NAME], type: 'SRV' });
    try {
      await recorder.untilEndpoints(['127.0.0.1:2181', 'zk-1.example:2182']);
      await server.setSrv({ [SRV_NAME]: [{ target: '127.0.0.1', port: 2181 }] });
      await recorder.untilEndpoints(['127.0.0.1:2181']);
      await server.setSrv({});
      await recorder.untilEndpoints([]);
    } finally {
      recorder.stop();
      await server.setSrv({
        [SRV_NAME]: [
          { target: '127.0.0.1', port: 2181 },
          { target: 'zk-1.example', port: 2182 },
        ],
      });
    }
  });

  it('SRV: drops a record whose target is no host (".": "no such service here"), logging it once', async () => {
    await server.setSrv({
      [SRV_NAME]: [
        { target: '127.0.0.1', port: 2181 },
        { target: '.', port: 2182 },
      ],
    });
    const { recorder, log } = watch({ names: [SRV_NAME], type: 'SRV' });
    try {
      await recorder.untilEndpoints(['127.0.0.1:2181']);
      const ignored = await log.until(/dns: ignored an answer that is no host:port/);
      assert.equal(ignored['endpoint'], ':2182');
      // A later round that still gets the "." record: not logged again.
      await server.setSrv({
        [SRV_NAME]: [
          { target: '127.0.0.1', port: 2181 },
          { target: '.', port: 2182 },
          { target: '127.0.0.2', port: 2181 },
        ],
      });
      await recorder.untilEndpoints(['127.0.0.1:2181', '127.0.0.2:2181']);
      assert.equal(log.matching(/ignored an answer/).length, 1, 'logged once while the answer stays');
      assert.equal(recorder.error, undefined);
    } finally {
      recorder.stop();
      await server.setSrv({
        [SRV_NAME]: [
          { target: '127.0.0.1', port: 2181 },
          { target: 'zk-1.example', port: 2182 },
        ],
      });
    }
  });

  it("re-resolves every receiver collection interval when refresh_interval is not set (a 30s default would miss this test's 15s wait)", async () => {
    await server.setHosts({ [A_NAME]: ['127.0.0.1'] });
    const log = new LogRecorder();
    const dns = { names: [A_NAME], type: 'A' as const, port: 2181, server: server.address };
    const recorder = new ListRecorder(discoverTargets({ staticEndpoints: [], config: { ensemble: false, dns }, logger: log.logger, refreshIntervalMs: 100 }));
    try {
      await recorder.untilEndpoints(['127.0.0.1:2181']);
      await server.setHosts({ [A_NAME]: ['127.0.0.1', '127.0.0.4'] });
      await recorder.untilEndpoints(['127.0.0.1:2181', '127.0.0.4:2181'], 15_000);
    } finally {
      recorder.stop();
      await server.setHosts({ [A_NAME]: ['127.0.0.1', '127.0.0.2'] });
    }
  });

  it('keeps the last good targets while the server does not answer, logging it once', async () => {
    await server.setHosts({ [A_NAME]: ['127.0.0.1', '127.0.0.2'] });
    const { recorder, log } = watch({ names: [A_NAME, `missing.${TEST_DOMAIN}`], type: 'A', port: 2181 });
    try {
      await recorder.untilEndpoints(['127.0.0.1:2181', '127.0.0.2:2181']);
      await server.stop();
      const failure = await log.until(/dns: lookup failed; keeping its last good targets/);
      assert.equal(failure['kept_targets'], 2);
      await server.start();
      await log.until(/dns: lookup works again/);
      assert.deepEqual(
        recorder.lists.map((list) => list.length),
        [2],
        'one list: nothing lost while the server was down',
      );
      assert.equal(log.matching(/lookup failed/).filter((event) => event['name'] === A_NAME).length, 1, 'logged once per outage');
    } finally {
      recorder.stop();
    }
  });
});
