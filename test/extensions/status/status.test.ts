/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { describeMetric, type Batch, type MetricDescriptor, type PipelineItem } from '../../../src/core/batch.js';
import type { Host, PipelineObserver } from '../../../src/core/component.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SelfTelemetry } from '../../../src/core/telemetry.js';
import { statusConfigSchema } from '../../../src/extensions/status/config.js';
import { StatusExtension } from '../../../src/extensions/status/extension.js';
import { HISTORY_POINTS, HISTORY_STEP_MS, Sparkline } from '../../../src/extensions/status/history.js';
import { StatusModel, type StatusDocument } from '../../../src/extensions/status/model.js';
import { judgeCluster, type ServerView } from '../../../src/extensions/status/problems.js';
import { recentP99Seconds } from '../../../src/extensions/status/readings.js';
import { isLoopback, launchChromium } from '../../harness/browser.js';
import { freePort } from '../../harness/ports.js';
import { VirtualClock } from '../../harness/virtual-time.js';
import { agentGroupConfigSchema } from '../../../src/extensions/agent_group/config.js';
import { AgentGroupExtension } from '../../../src/extensions/agent_group/extension.js';
import { firstValueFrom } from 'rxjs';

const UP = describeMetric('zookeeper.up', 'gauge', { valueType: 'int' });
const STATE = describeMetric('zookeeper.server.state', 'gauge', { valueType: 'int' });
const FAILURE = describeMetric('zookeeper.probe.failure', 'gauge', { valueType: 'int' });
const QUORUM_SIZE = describeMetric('zookeeper.quorum_size', 'gauge');
const LATENCY = describeMetric('zookeeper.latency.avg', 'gauge', { unit: 'ms' });

/** One probe of one server as the zookeeper receiver reports it: up with a role, or down with a reason. */
function probe(cluster: string, endpoint: string, outcome: { role: string; quorum?: number; latency?: number } | { down: string }, timeMs: number): Batch {
  const attributes = { 'zk.endpoint': endpoint, 'zk.cluster': cluster };
  const samples: { metric: MetricDescriptor; value: number; attributes: Record<string, string> }[] = [];
  if ('down' in outcome) {
    samples.push({ metric: UP, value: 0, attributes }, { metric: FAILURE, value: 1, attributes: { ...attributes, command: 'mntr', reason: outcome.down } });
  } else {
    samples.push({ metric: UP, value: 1, attributes });
    for (const state of ['leader', 'follower', 'observer', 'standalone'])
      samples.push({ metric: STATE, value: state === outcome.role ? 1 : 0, attributes: { ...attributes, state } });
    if (outcome.quorum) samples.push({ metric: QUORUM_SIZE, value: outcome.quorum, attributes });
    samples.push({ metric: LATENCY, value: outcome.latency ?? 0.5, attributes });
  }
  return { source: `metrics|zookeeper|${endpoint}`, timeMs, startTimeMs: timeMs - 60_000, samples };
}

const view = (endpoint: string, up: boolean, role: string | undefined, extra: Partial<ServerView> = {}): ServerView => ({
  endpoint,
  up,
  role,
  stale: false,
  reasons: up ? [] : ['refused'],
  fdsOpen: undefined,
  fdsLimit: undefined,
  quorumSize: 3,
  ...extra,
});

describe('status: the alert conditions, evaluated in the agent', () => {
  const alerts = (servers: ServerView[]) =>
    judgeCluster('c', servers)
      .problems.map((problem) => problem.alert)
      .sort();

  it('a healthy ensemble is ok with one leader and no problem', () => {
    const verdict = judgeCluster('c', [view('a', true, 'leader'), view('b', true, 'follower'), view('c', true, 'follower')]);
    assert.equal(verdict.quorum, 'ok');
    assert.deepEqual(verdict.leaders, ['a']);
    assert.deepEqual(verdict.problems, []);
  });

  it('one follower down of three: at risk, with the server down and why', () => {
    const verdict = judgeCluster('c', [view('a', true, 'leader'), view('b', true, 'follower'), view('c', false, 'follower')]);
    assert.equal(verdict.quorum, 'at_risk');
    assert.deepEqual(verdict.problems.map((problem) => problem.alert).sort(), ['ZooKeeperQuorumAtRisk', 'ZooKeeperServerDown']);
    const down = verdict.problems.find((problem) => problem.alert === 'ZooKeeperServerDown')!;
    assert.equal(down.zk_endpoint, 'c');
    assert.equal(down.summary, 'c is down: refused (nothing listens on the port)');
    assert.equal(down.severity, 'warning', 'the severity of the alert rule ZooKeeperServerDown');
  });

  it("problems carry the alert rules' severities: a lost quorum is critical, a quorum at risk a warning", () => {
    const lost = judgeCluster('c', [view('a', false, 'leader'), view('b', false, 'follower'), view('c', true, 'follower')]);
    assert.equal(lost.problems.find((problem) => problem.alert === 'ZooKeeperQuorumLost')?.severity, 'critical');
    const atRisk = judgeCluster('c', [view('a', true, 'leader'), view('b', true, 'follower'), view('c', false, 'follower')]);
    assert.equal(atRisk.problems.find((problem) => problem.alert === 'ZooKeeperQuorumAtRisk')?.severity, 'warning');
  });

  it('two of three down: lost; the survivor no longer leads: no leader', () => {
    assert.deepEqual(alerts([view('a', false, 'leader'), view('b', false, 'follower'), view('c', true, 'follower')]), [
      'ZooKeeperNoLeader',
      'ZooKeeperQuorumLost',
      'ZooKeeperServerDown',
      'ZooKeeperServerDown',
    ]);
    assert.equal(judgeCluster('c', [view('a', false, 'leader'), view('b', false, 'follower'), view('c', true, 'follower')]).quorum, 'lost');
  });

  it('two members that both report leader: multiple leaders, at risk', () => {
    const servers = [view('a', true, 'leader'), view('b', true, 'leader'), view('c', true, 'follower')];
    assert.deepEqual(alerts(servers), ['ZooKeeperMultipleLeaders']);
    assert.equal(judgeCluster('c', servers).quorum, 'at_risk');
  });

  it('five members with one down stay ok: two more failures are needed to lose the quorum', () => {
    const servers = ['a', 'b', 'c', 'd'].map((name, i) => view(name, true, i === 0 ? 'leader' : 'follower', { quorumSize: 5 }));
    const verdict = judgeCluster('c', [...servers, view('e', false, undefined, { quorumSize: undefined })]);
    assert.equal(verdict.quorum, 'ok');
    assert.deepEqual(
      verdict.problems.map((problem) => problem.alert),
      ['ZooKeeperServerDown'],
    );
  });

  it('an observer down does not count against the quorum; a standalone server is ok while up', () => {
    const withObserver = [view('a', true, 'leader'), view('b', true, 'follower'), view('c', true, 'follower'), view('o', false, 'observer')];
    assert.equal(judgeCluster('c', withObserver).quorum, 'ok');
    assert.equal(judgeCluster('c', [view('s', true, 'standalone', { quorumSize: undefined })]).quorum, 'ok');
    assert.equal(judgeCluster('c', [view('s', false, 'standalone', { quorumSize: undefined })]).quorum, 'lost');
  });

  it('a server above 80 % of its file descriptors is a warning', () => {
    const servers = [
      view('a', true, 'leader', { fdsOpen: 900, fdsLimit: 1000 }),
      view('b', true, 'follower', { fdsOpen: 100, fdsLimit: 1000 }),
      view('c', true, 'follower'),
    ];
    assert.deepEqual(alerts(servers), ['ZooKeeperFileDescriptorsNearLimit']);
  });
});

describe('status: bounded history', () => {
  it('keeps one value per 10 s bucket over 15 minutes, whatever the probe rate, with gaps as null', () => {
    const line = new Sparkline();
    const start = 1_000_000 * HISTORY_STEP_MS;
    // Four hours at 100 ms: far more than the window holds.
    for (let t = 0; t < 4 * 3600_000; t += 100) line.record(start + t, t);
    const now = start + 4 * 3600_000 - 100;
    const points = line.points(now);
    assert.equal(points.length, HISTORY_POINTS);
    assert.equal(points.at(-1), Number((4 * 3600_000 - 100).toPrecision(3)));
    assert.ok(points.every((point) => point !== null));
    // Ten silent minutes later, only the first five minutes of the window still hold values.
    const later = line.points(now + 10 * 60_000);
    assert.equal(later.filter((point) => point !== null).length, HISTORY_POINTS - 60);
    assert.ok(later.slice(-60).every((point) => point === null));
  });

  it('p99 of what happened between two cumulative histograms, interpolated in its bucket', () => {
    const boundaries = [0.001, 0.01, 0.1];
    // 100 new observations: 98 in (0, 1 ms], 2 in (10 ms, 100 ms]. Rank 99 is the first of the slow two:
    // 10 ms + 90 ms × (99 − 98) / 2 = 55 ms.
    const p99 = recentP99Seconds({ boundaries, counts: [10, 0, 0, 0] }, { boundaries, counts: [108, 0, 2, 0] });
    assert.ok(Math.abs(p99! - 0.055) < 1e-9, String(p99));
    assert.equal(recentP99Seconds({ boundaries, counts: [5, 1, 0, 0] }, { boundaries, counts: [5, 1, 0, 0] }), undefined, 'nothing new: no p99');
  });
});

describe('status: the document', () => {
  const info = { pipelines: [{ id: 'metrics', receivers: ['zookeeper'], processors: [], exporters: ['prometheus'] }], extensions: ['status'], startedAtMs: 0 };

  it('sorts clusters worst first, servers down first, and says why a server is down; stale servers are marked', () => {
    const model = new StatusModel('test');
    const t0 = 1_700_000_000_000;
    for (const [i, t] of [t0, t0 + 1000].entries()) {
      model.ingest(probe('healthy', 'h1:2181', { role: 'leader', quorum: 3 }, t));
      model.ingest(probe('healthy', 'h2:2181', { role: 'follower', quorum: 3 }, t));
      model.ingest(probe('healthy', 'h3:2181', { role: 'follower', quorum: 3 }, t));
      model.ingest(probe('hurt', 'x1:2181', { role: 'leader', quorum: 3 }, t));
      model.ingest(probe('hurt', 'x2:2181', i === 0 ? { role: 'follower', quorum: 3 } : { down: 'refused' }, t));
      model.ingest(probe('hurt', 'x3:2181', { role: 'follower', quorum: 3 }, t));
    }
    const document: StatusDocument = model.document(t0 + 1500, info);
    assert.deepEqual(
      document.clusters.map((cluster) => [cluster.name, cluster.quorum]),
      [
        ['hurt', 'at_risk'],
        ['healthy', 'ok'],
      ],
    );
    const hurt = document.clusters[0]!;
    assert.equal(hurt.servers[0]!.endpoint, 'x2:2181');
    assert.equal(hurt.servers[0]!.up, false);
    assert.equal(hurt.servers[0]!.last_role, 'follower');
    assert.deepEqual(hurt.servers[0]!.failures, [{ command: 'mntr', reason: 'refused', description: 'nothing listens on the port' }]);
    assert.deepEqual(hurt.servers[0]!.figures, {}, 'a down server shows no stale figures');
    assert.equal(hurt.leader, 'x1:2181');
    assert.deepEqual(document.problems.map((problem) => problem.alert).sort(), ['ZooKeeperQuorumAtRisk', 'ZooKeeperServerDown']);
    assert.equal(document.agent.targets, 6);
    assert.equal(document.agent.targets_up, 5);

    // Nobody probes for more than three intervals: every server is stale and no longer counts as serving.
    const later = model.document(t0 + 1000 + 3500, info);
    assert.ok(later.clusters.every((cluster) => cluster.servers.every((server) => server.stale)));
    assert.ok(later.clusters.every((cluster) => cluster.quorum === 'lost'));
    // After the history window, forgotten.
    assert.deepEqual(model.document(t0 + 1000 + 16 * 60_000, info).clusters, []);
  });

  it('a gone source leaves at once, and with it a server no other source reports', () => {
    const model = new StatusModel('test');
    const t0 = 1_700_000_000_000;
    model.ingest(probe('c', 'a:2181', { role: 'leader', quorum: 3 }, t0));
    model.ingest(probe('c', 'b:2181', { role: 'follower', quorum: 3 }, t0));
    // The same server seen by a second pipeline: it stays while that one reports it.
    model.ingest({ ...probe('c', 'b:2181', { role: 'follower', quorum: 3 }, t0), source: 'metrics/copy|zookeeper|b:2181' });
    model.forget('metrics|zookeeper|a:2181');
    model.forget('metrics|zookeeper|b:2181');
    model.forget('metrics|zookeeper|never-seen:2181');
    const document = model.document(t0 + 500, info);
    assert.deepEqual(
      document.clusters.map((cluster) => cluster.servers.map((server) => server.endpoint)),
      [['b:2181']],
    );
    assert.equal(document.agent.targets, 1);
  });
});

describe("status: the agent groups, read from the agent's own telemetry", () => {
  const info = { pipelines: [], extensions: ['agent_group', 'status'], startedAtMs: 0 };

  it("shows each group's live members (this agent marked), connection, owned targets, rebalances and last change", () => {
    // The series as the agent_group extension writes them (their names are documented in README).
    const telemetry = new SelfTelemetry();
    const member = telemetry.gauge('zkotel.agent_group.member', { description: '' });
    telemetry.gauge('zkotel.agent_group.connected', { description: '' })({ group: 'agent_group' }, 1);
    telemetry.gauge('zkotel.agent_group.owned_targets', { description: '' })({ group: 'agent_group' }, 30);
    telemetry.gauge('zkotel.agent_group.members', { description: '' })({ group: 'agent_group' }, 2);
    telemetry.counter('zkotel.agent_group.rebalances', { description: '' })({ group: 'agent_group' }, 3);
    telemetry.gauge('zkotel.agent_group.last_change_timestamp_seconds', { description: '' })({ group: 'agent_group' }, 1_700_000_000.25);
    member({ group: 'agent_group', member: 'b', self: 'false' }, 1);
    member({ group: 'agent_group', member: 'a', self: 'true' }, 1);
    member({ group: 'agent_group', member: 'c', self: 'false' }, 0); // left the group
    telemetry.gauge('zkotel.agent_group.connected', { description: '' })({ group: 'agent_group/west' }, 0);
    telemetry.counter('zkotel.receiver.probes', { description: '' })({ receiver: 'zookeeper' }, 1); // not a group

    const document = new StatusModel('test').document(1_700_000_001_000, info, telemetry.snapshot());
    assert.deepEqual(document.agent_groups, [
      {
        id: 'agent_group',
        connected: true,
        members: [
          { id: 'a', self: true },
          { id: 'b', self: false },
        ],
        owned_targets: 30,
        rebalances: 3,
        last_change_ms: 1_700_000_000_250,
      },
      { id: 'agent_group/west', connected: false, members: [], owned_targets: 0, rebalances: 0, last_change_ms: null },
    ]);
    assert.deepEqual(new StatusModel('test').document(0, info, new SelfTelemetry().snapshot()).agent_groups, [], 'no group configured: none shown');
  });
});

describe('status extension over HTTP', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  function fakeHost(): Host & { feed(item: PipelineItem): void } {
    const observers = new Set<PipelineObserver>();
    return {
      status: () => ({ exportersStarted: true, firstRoundDone: true }),
      info: () => ({
        pipelines: [{ id: 'metrics', receivers: ['zookeeper'], processors: [], exporters: ['prometheus'] }],
        extensions: ['status'],
        startedAtMs: Date.now(),
      }),
      observePipelines: (observer) => {
        observers.add(observer);
        return () => void observers.delete(observer);
      },
      feed: (item) => observers.forEach((observer) => observer(item, 'metrics')),
    };
  }

  async function start(extra: Record<string, unknown> = {}) {
    const endpoint = `127.0.0.1:${await freePort()}`;
    const extension = new StatusExtension(
      { id: 'status', logger: silentLogger, telemetry: new SelfTelemetry() },
      statusConfigSchema.parse({ endpoint, ...extra }),
    );
    const host = fakeHost();
    await extension.start(host);
    return { extension, host, url: `http://${endpoint}` };
  }

  it('rejects a bad endpoint and unknown keys with a clear error', () => {
    assert.throws(() => statusConfigSchema.parse({ endpoint: 'nohost' }), /endpoint/);
    assert.throws(() => statusConfigSchema.parse({ endpoint: '127.0.0.1:1', colour: 'red' }), /colour/);
  });

  it("protects the page, the JSON and the stream with the web config's basic auth, as /metrics", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-status-'));
    dirs.push(dir);
    const webConfig = path.join(dir, 'web.yml');
    writeFileSync(webConfig, `basic_auth_users:\n  alice: ${bcrypt.hashSync('s3cret', 4)}\n`);
    const { extension, url } = await start({ web_config_file: webConfig });
    try {
      for (const route of ['/', '/status.js', '/api/v1/status', '/api/v1/events']) {
        assert.equal((await fetch(url + route)).status, 401, route);
      }
      const authorization = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
      const response = await fetch(`${url}/api/v1/status`, { headers: { authorization } });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as StatusDocument).schema, 'zkotel.status/v1');

      // A reload re-reads the file, as the prometheus exporter does; a broken file keeps the running one.
      writeFileSync(webConfig, `basic_auth_users:\n  bob: ${bcrypt.hashSync('other', 4)}\n`);
      await extension.reload();
      const bob = `Basic ${Buffer.from('bob:other').toString('base64')}`;
      assert.equal((await fetch(`${url}/api/v1/status`, { headers: { authorization: bob } })).status, 200);
      assert.equal((await fetch(`${url}/api/v1/status`, { headers: { authorization } })).status, 401);
      writeFileSync(webConfig, 'basic_auth_users: [\n');
      await assert.rejects(extension.reload());
      assert.equal((await fetch(`${url}/api/v1/status`, { headers: { authorization: bob } })).status, 200);
    } finally {
      await extension.shutdown();
    }
  });

  it('GET /api/v1/status and the page show the agent group of a running agent_group extension, from the shared telemetry', { timeout: 120_000 }, async () => {
    const clock = new VirtualClock();
    const telemetry = new SelfTelemetry();
    const groupConfig = agentGroupConfigSchema.parse({ endpoints: [`127.0.0.1:${await freePort()}`], session_timeout: '2s', member_id: 'lonely' });
    const group = new AgentGroupExtension({ id: 'agent_group', logger: silentLogger, telemetry, scheduler: clock.scheduler }, groupConfig);
    const endpoint = `127.0.0.1:${await freePort()}`;
    const extension = new StatusExtension({ id: 'status', logger: silentLogger, telemetry }, statusConfigSchema.parse({ endpoint }));
    await group.start();
    await extension.start(fakeHost());
    try {
      const read = async () => ((await (await fetch(`http://${endpoint}/api/v1/status`)).json()) as StatusDocument).agent_groups;
      assert.deepEqual(
        await read(),
        [{ id: 'agent_group', connected: false, members: [], owned_targets: 0, rebalances: 0, last_change_ms: null }],
        'before the group was read',
      );
      // The coordination ensemble never answers: after session_timeout (virtual) this agent is alone in its group.
      await clock.until(firstValueFrom(group.assignment), 2000);
      group.reportOwned('zookeeper', 4);
      assert.deepEqual(await read(), [
        { id: 'agent_group', connected: false, members: [{ id: 'lonely', self: true }], owned_targets: 4, rebalances: 0, last_change_ms: 2000 },
      ]);

      // The page shows it, in a real browser.
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => void errors.push(String(error)));
        await page.goto(`http://${endpoint}/`);
        const group = page.locator('[data-group="agent_group"]');
        await group.waitFor({ timeout: 30_000 });
        const text = await group.innerText();
        assert.match(text, /Agent group agent_group/);
        assert.match(text, /not connected: keeping the last assignment/);
        assert.match(text, /1 agent\b/);
        assert.equal(await group.locator('li[data-member="lonely"]').innerText(), 'lonely (this agent)');
        assert.match(text, /4 targets/);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    } finally {
      await extension.shutdown();
      await group.shutdown();
    }
  });

  it('pushes the document on connect and again after a batch, over one event stream', async () => {
    const { extension, host, url } = await start();
    try {
      const controller = new AbortController();
      const response = await fetch(`${url}/api/v1/events`, { signal: controller.signal });
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const reader = response.body!.getReader();
      const events: StatusDocument[] = [];
      let buffer = '';
      const nextEvent = async (): Promise<StatusDocument> => {
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').find((line) => line.startsWith('data: '));
            if (data) return JSON.parse(data.slice(6)) as StatusDocument;
            continue;
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          buffer += Buffer.from(value).toString('utf8');
        }
      };
      events.push(await nextEvent());
      assert.deepEqual(events[0]!.clusters, []);
      host.feed(probe('c1', 'a:2181', { role: 'standalone' }, Date.now()));
      events.push(await nextEvent());
      assert.deepEqual(
        events[1]!.clusters.map((cluster) => [cluster.name, cluster.quorum, cluster.servers[0]!.role]),
        [['c1', 'ok', 'standalone']],
      );
      controller.abort();
    } finally {
      await extension.shutdown();
    }
  });

  it('stays readable at 200 servers: the troubled cluster first and open, healthy ones collapsed, in a real browser', { timeout: 120_000 }, async () => {
    const { extension, host, url } = await start();
    const browser = await launchChromium();
    try {
      const now = Date.now();
      for (let c = 0; c < 40; c++) {
        for (let s = 0; s < 5; s++) {
          const troubled = c === 17 && s === 4;
          host.feed(
            probe(
              `cluster-${String(c).padStart(2, '0')}`,
              `zk-${c}-${s}:2181`,
              troubled ? { down: 'timeout' } : { role: s === 0 ? 'leader' : 'follower', quorum: 5, latency: s },
              now,
            ),
          );
        }
      }
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      const outside: string[] = [];
      page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
      page.on('pageerror', (error) => void errors.push(String(error)));
      page.on('request', (request) => void (isLoopback(request.url()) || outside.push(request.url())));
      await page.goto(`${url}/`);
      await page.waitForFunction(() => document.querySelectorAll('details.cluster').length === 40, null, { timeout: 30_000 });
      const clusters = await page.$$eval('details.cluster', (nodes) =>
        nodes.map((node) => ({ name: node.getAttribute('data-cluster'), open: (node as HTMLDetailsElement).open })),
      );
      assert.deepEqual(clusters[0], { name: 'cluster-17', open: true });
      assert.ok(
        clusters.slice(1).every((cluster) => !cluster.open),
        'healthy clusters start collapsed',
      );
      assert.equal(await page.locator('tr[data-endpoint]').count(), 200);
      assert.match(await page.locator('details.cluster').first().innerText(), /no complete reply before the deadline/);
      assert.match((await page.textContent('#summary')) ?? '', /40 clusters, 199 of 200 servers up/);
      assert.deepEqual(errors, []);
      assert.deepEqual(outside, []);
    } finally {
      await browser.close();
      await extension.shutdown();
    }
  });
});
