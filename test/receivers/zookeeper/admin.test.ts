import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, describe, it, test } from 'node:test';
import { ClientTlsLoader, clientTlsConfigSchema } from '../../../src/internal/tls/client-tls.js';
import { AdminTransport } from '../../../src/receivers/zookeeper/admin.js';
import { adminBaseUrl, type FourLetterWord, zookeeperReceiverConfigSchema } from '../../../src/receivers/zookeeper/config.js';
import { ADMIN_COMMANDS, adminCons, adminSrvr, readAdminJson } from '../../../src/receivers/zookeeper/parse-admin.js';
import { probeEndpoint } from '../../../src/receivers/zookeeper/probe.js';
import { SampleMapper } from '../../../src/receivers/zookeeper/samples.js';
import { generateTestCerts } from '../../harness/certs.js';
import { readFixture } from '../../harness/fixtures.js';

const admin = (name: string) => readFixture(`admin/${name}`);

/** Replies by AdminServer command name; `hang` never answers, `huge` streams without end. */
type Route = { status?: number; body: string; contentType?: string } | 'hang' | 'huge' | 'garbage';

const servers: http.Server[] = [];
after(() =>
  Promise.all(
    servers.map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  ),
);

async function fakeAdmin(routes: Readonly<Record<string, Route>>): Promise<URL> {
  const server = http.createServer((request, response) => {
    const command = /^\/commands\/([a-z_]+)$/.exec(request.url ?? '')?.[1] ?? '';
    const route = routes[command] ?? { body: JSON.stringify({ command, error: `Unknown command: ${command}` }) };
    if (route === 'hang') return;
    if (route === 'garbage') return response.end('\u0000\u0001 definitely not json');
    if (route === 'huge') {
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (response.write(chunk)) if (response.destroyed) return;
      };
      response.on('drain', pump);
      response.on('error', () => {});
      return pump();
    }
    response.writeHead(route.status ?? 200, { 'content-type': route.contentType ?? 'application/json' });
    response.end(route.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/commands`);
}

const HEALTHY: Readonly<Record<string, Route>> = {
  monitor: { body: admin('monitor-leader.json') },
  ruok: { body: admin('ruok.json') },
  server_stats: { body: admin('server_stats-leader.json') },
  is_read_only: { body: admin('is_read_only.json') },
  watch_summary: { body: admin('watch_summary.json') },
  environment: { body: admin('environment.json') },
  configuration: { body: admin('configuration.json') },
  connections: { body: admin('connections.json') },
};
const ALL = Object.keys(ADMIN_COMMANDS) as FourLetterWord[];

async function probe(base: URL, commands: readonly FourLetterWord[] = ALL, options: { timeoutMs?: number; maxBytes?: number } = {}) {
  const transport = new AdminTransport(base);
  try {
    return await probeEndpoint({
      commands,
      timeoutMs: options.timeoutMs ?? 2000,
      maxBytes: options.maxBytes ?? 1 << 20,
      signal: new AbortController().signal,
      transport,
    });
  } finally {
    transport.close();
  }
}

const reasons = (outcome: Awaited<ReturnType<typeof probe>>) => outcome.failures.map((failure) => `${failure.command}:${failure.error.reason}`);

describe('AdminServer replies (real 3.8.0 fixtures)', () => {
  it('gives the same parsed replies as the four-letter words', async () => {
    const outcome = await probe(await fakeAdmin(HEALTHY));
    assert.deepEqual(reasons(outcome), []);
    const { mntr, ruok, srvr, stat, isro, wchs, envi, conf, cons } = outcome.replies;
    assert.equal(mntr?.strings.get('server_state'), 'leader');
    assert.equal(mntr?.numbers.get('znode_count'), 5);
    assert.equal(mntr?.numbers.has('command'), false);
    assert.equal(ruok, true);
    assert.deepEqual(srvr, stat);
    assert.equal(srvr?.mode, 'leader');
    assert.equal(srvr?.version, '3.8.0-${mvngit.commit.id}');
    assert.equal(srvr?.zxid, 4294967296n);
    assert.equal(srvr?.nodeCount, 5);
    assert.equal(srvr?.proposalSizeMin, -1);
    assert.equal(isro, 'rw');
    assert.deepEqual(wchs, { connections: 1, paths: 1, total: 1 });
    assert.equal(envi?.attributes.java_version, '17.0.15');
    assert.equal(envi?.attributes.zookeeper_version, '3.8.0-${mvngit.commit.id}');
    assert.equal(conf?.attributes.tick_time, '2000');
    assert.equal(conf?.numbers.get('maxClientCnxns'), 60);
    assert.deepEqual(cons, { addresses: [{ address: '127.0.0.1', connections: 1, queued: 0, received: 3 }] });
    const samples = new SampleMapper({ 'zk.endpoint': '127.0.0.1:2181' }).toSamples(outcome, 0);
    const names = new Set(samples.map((sample) => sample.metric.name));
    for (const name of [
      'zookeeper.up',
      'zookeeper.znode.count',
      'zookeeper.zxid.epoch',
      'zookeeper.zxid.sequence',
      'zookeeper.server.state',
      'zookeeper.read_only',
      'zookeeper.client.connections',
    ]) {
      assert.ok(names.has(name), name);
    }
  });

  test('a follower has no proposal sizes', () => {
    const body = admin('server_stats-follower.json');
    const srvr = adminSrvr('srvr', readAdminJson('srvr', { status: 200, body }), body);
    assert.equal(srvr.mode, 'follower');
    assert.equal('proposalSizeMin' in srvr, false);
  });

  test('a zxid beyond 2^53 keeps every bit', () => {
    const body = '{"server_stats":{"server_state":"leader","last_processed_zxid":18446744069414584322},"command":"server_stats","error":null}';
    assert.equal(adminSrvr('srvr', readAdminJson('srvr', { status: 200, body }), body).zxid, 0xffffffff00000002n);
  });

  test('connections: IPv6 and slash-prefixed addresses, secure connections counted too', () => {
    const json = {
      connections: [{ remote_socket_address: '[::1]:40000', outstanding_requests: 2, packets_received: 5 }],
      secure_connections: [{ remote_socket_address: '/127.0.0.1:40001', packets_received: 1 }, { remote_socket_address: '[::1]:40002' }],
    };
    assert.deepEqual(adminCons(json, 10).addresses, [
      { address: '::1', connections: 2, queued: 2, received: 5 },
      { address: '127.0.0.1', connections: 1, queued: 0, received: 1 },
    ]);
  });

  test('connections one by one when asked: the real reply, session id exact although above 2^53', () => {
    const body = admin('connections.json');
    const json = readAdminJson('cons', { status: 200, body });
    assert.equal(adminCons(json, 10).connections, undefined, 'off by default');
    assert.deepEqual(adminCons(json, 10, 5, body), {
      addresses: [{ address: '127.0.0.1', connections: 1, queued: 0, received: 3 }],
      connections: [
        { address: '127.0.0.1', port: 33068, sessionId: '0x10000cb5d8e0000', queued: 0, received: 3, sent: 3, latencyMin: 0, latencyAvg: 5, latencyMax: 7 },
      ],
      untracked: 0,
    });
    const many = JSON.stringify({
      connections: [1, 2, 3].map((i) => ({ remote_socket_address: `[::1]:4000${i}`, packets_received: i * 10, packets_sent: i, session_id: i })),
      secure_connections: [{ remote_socket_address: '/127.0.0.1:50000', packets_received: 99, session_id: 0 }],
      command: 'connections',
      error: null,
    });
    const capped = adminCons(readAdminJson('cons', { status: 200, body: many }), 10, 2, many);
    assert.deepEqual(
      capped.connections?.map((c) => `${c.address}:${c.port} ${c.sessionId} ${c.received}/${c.sent}`),
      ['::1:40003 0x3 30/3', '::1:40002 0x2 20/2'],
    );
    // 72058467485876225 is not a double: JSON.parse would round it to ...224 (0x...0000).
    const odd = body.replace('72058467485876224', '72058467485876225');
    assert.equal(adminCons(readAdminJson('cons', { status: 200, body: odd }), 10, 5, odd).connections?.[0]?.sessionId, '0x10000cb5d8e0001');
    assert.equal(capped.untracked, 1, 'the sessionless secure connection is neither kept nor untracked');
  });
});

describe('AdminServer failures', () => {
  it('no quorum: HTTP 500 page and "error" fields are not_serving; unknown commands and other errors are named', async () => {
    const base = await fakeAdmin({
      monitor: { status: 500, body: admin('no-quorum-monitor.html'), contentType: 'text/html' },
      server_stats: { body: admin('no-quorum-server_stats.json') },
      ruok: { body: JSON.stringify({ command: 'ruok', error: 'This ZooKeeper instance is not currently serving requests' }) },
      is_read_only: { body: JSON.stringify({ command: 'is_read_only', error: 'Access denied' }) },
      watch_summary: { status: 404, body: 'nope' },
    });
    const outcome = await probe(base, ['mntr', 'ruok', 'srvr', 'isro', 'wchs', 'envi']);
    assert.deepEqual(reasons(outcome), [
      'mntr:not_serving',
      'ruok:not_serving',
      'srvr:not_serving',
      'isro:server_error',
      'wchs:bad_response',
      'envi:unknown_command',
    ]);
    const message = (command: string) => outcome.failures.find((failure) => failure.command === command)!.error.message;
    assert.match(message('mntr'), /HTTP 500 .*NullPointerException.*no quorum/);
    assert.match(message('isro'), /AdminServer error: Access denied/);
    assert.match(message('envi'), /does not know \/commands\/environment/);
  });

  it('bounds a hung, a garbage and an endless server by timeout and max_response_bytes', async () => {
    const [hung, garbage, huge, bigBody] = await Promise.all([
      fakeAdmin({ monitor: 'hang' }),
      fakeAdmin({ monitor: 'garbage' }),
      fakeAdmin({ monitor: 'huge' }),
      fakeAdmin({ monitor: { body: admin('monitor-leader.json') } }),
    ]);
    const outcomes = await Promise.all([hung, garbage, huge].map((base) => probe(base, ['mntr'], { timeoutMs: 1000, maxBytes: 256 * 1024 })));
    assert.deepEqual(outcomes.map(reasons), [['mntr:timeout'], ['mntr:bad_response'], ['mntr:too_large']]);
    assert.deepEqual(reasons(await probe(bigBody, ['mntr'], { maxBytes: 1000 })), ['mntr:too_large'], 'a Content-Length over the bound');
  });

  it('refused', async () => {
    const base = await fakeAdmin(HEALTHY);
    const server = servers.at(-1)!;
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(reasons(await probe(base, ['ruok'])), ['ruok:refused']);
  });

  it('reuses its connection between probes (keep-alive)', async () => {
    const base = await fakeAdmin(HEALTHY);
    const server = servers.at(-1)!;
    let connections = 0;
    server.on('connection', () => connections++);
    const transport = new AdminTransport(base);
    try {
      for (let round = 0; round < 3; round++) {
        const outcome = await probeEndpoint({ commands: ['ruok'], timeoutMs: 2000, maxBytes: 1 << 20, signal: new AbortController().signal, transport });
        assert.deepEqual(reasons(outcome), []);
      }
    } finally {
      transport.close();
    }
    assert.equal(connections, 1);
  });
});

describe('protocol: admin config', () => {
  const parse = (config: Record<string, unknown>) => zookeeperReceiverConfigSchema.safeParse(config);
  const messages = (config: Record<string, unknown>) => parse(config).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

  it("derives each endpoint's AdminServer URL from its host, unless admin_endpoints names one", () => {
    const config = parse({
      protocol: 'admin',
      endpoints: ['zk1:2181', '[::1]:2181', 'zk3:2181'],
      admin_port: 9090,
      admin_endpoints: { 'zk3:2181': 'http://10.1.1.3:8081/api/commands' },
    }).data!;
    assert.equal(adminBaseUrl(config.admin, 'zk1:2181').href, 'http://zk1:9090/commands');
    assert.equal(adminBaseUrl(config.admin, '[::1]:2181').href, 'http://[::1]:9090/commands');
    assert.equal(adminBaseUrl(config.admin, 'zk3:2181').href, 'http://10.1.1.3:8081/api/commands');
    // A discovered endpoint follows the same rule.
    assert.equal(adminBaseUrl(config.admin, 'zk9.example:2181').href, 'http://zk9.example:9090/commands');
  });

  it('defaults: port 8080, /commands, https when tls is set', () => {
    const plain = parse({ protocol: 'admin' }).data!;
    assert.deepEqual(plain.admin, { port: 8080, scheme: 'http', path: '/commands', urls: {} });
    const secure = parse({ protocol: 'admin', tls: { insecure_skip_verify: true } }).data!;
    assert.equal(adminBaseUrl(secure.admin, '127.0.0.1:2181').href, 'https://127.0.0.1:8080/commands');
  });

  it('rejects admin settings without protocol: admin, bad URLs and keys, and tls with only http URLs', () => {
    assert.deepEqual(messages({ admin_port: 8080 }), ['admin_port: admin_port applies to protocol: admin only (protocol is four_letter_words)']);
    assert.ok(messages({ protocol: 'admin', admin_endpoints: { 'zk1:2181': 'ftp://zk1/commands' } }).some((m) => m.includes('only http:// and https://')));
    assert.ok(messages({ protocol: 'admin', admin_endpoints: { zk1: 'http://zk1:8080/commands' } }).length > 0, 'a key that is not host:port');
    assert.deepEqual(messages({ protocol: 'admin', admin_scheme: 'http', tls: {} }), [
      'tls: tls is set but every AdminServer URL is http://: set admin_scheme: https (or drop tls)',
    ]);
    assert.ok(messages({ protocol: 'gossip' }).length > 0);
  });
});

describe('AdminServer over https', () => {
  it('verifies the server against tls.ca_file and names a TLS failure', async () => {
    const certs = generateTestCerts();
    const server = https.createServer({ cert: fs.readFileSync(certs.server.cert), key: fs.readFileSync(certs.server.key) }, (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(admin('ruok.json'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/commands`);
      const probeWith = async (tls: Record<string, unknown>) => {
        const transport = new AdminTransport(base, { tls: new ClientTlsLoader(clientTlsConfigSchema.parse(tls)) });
        try {
          return await probeEndpoint({ commands: ['ruok'], timeoutMs: 3000, maxBytes: 1 << 20, signal: new AbortController().signal, transport });
        } finally {
          transport.close();
        }
      };
      assert.deepEqual(reasons(await probeWith({ ca_file: certs.ca })), []);
      const wrongCa = await probeWith({ ca_file: certs.otherCa });
      assert.deepEqual(reasons(wrongCa), ['ruok:tls_unknown_authority']);
      assert.match(wrongCa.failures[0]!.error.message, /certificate signed by unknown authority/);
      assert.deepEqual(reasons(await probeWith({ ca_file: certs.ca, server_name: 'zk.example.com' })), ['ruok:tls_name_mismatch']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      certs.remove();
    }
  });
});
