import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type zookeeper from 'node-zookeeper-client';
import { BehaviorSubject } from 'rxjs';
import { ensembleTargets, type SeedClient, type SeedClientFactory } from '../../../src/internal/targets/ensemble.js';
import { ZkError, type ClientHooks, type SessionState } from '../../../src/internal/zkclient/client.js';
import type { Target } from '../../../src/internal/targets/target.js';
import { pollUntil } from '../../harness/process.js';
import { ListRecorder, LogRecorder, withoutMeta } from './recorder.js';

/**
 * A scripted stand-in for the shared ZooKeeper client: session expiry and authentication failure cannot be caused
 * on demand with a real server. The live behaviour (reconfig, dead seeds, observers, TLS seeds) is tested in
 * test/e2e/discovery and test/internal/zkclient.
 */
class FakeClient implements SeedClient {
  connected = false;
  closed = false;
  pendingReads: { resolve: (data: Buffer) => void; reject: (error: unknown) => void }[] = [];
  watchers = new Set<(event: zookeeper.Event) => void>();

  constructor(
    readonly connectString: string,
    private readonly hooks: ClientHooks,
  ) {}
  async connect(): Promise<SessionState> {
    this.connected = true;
    return 'connecting';
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  getData(path: string, _deadlineMs: number, watcher?: (event: zookeeper.Event) => void): Promise<Buffer | undefined> {
    assert.equal(path, '/zookeeper/config');
    if (watcher) this.watchers.add(watcher);
    return new Promise((resolve, reject) => this.pendingReads.push({ resolve, reject }));
  }
  state(state: SessionState): void {
    this.hooks.stateChanged?.(state);
  }
  /** Answers every pending read with `config`, and lets the answers be handled. */
  async answer(config: string): Promise<void> {
    for (const read of this.pendingReads.splice(0)) read.resolve(Buffer.from(config));
    await settled();
  }
  async fail(code: string): Promise<void> {
    for (const read of this.pendingReads.splice(0)) read.reject(new ZkError(code, `getData: ${code}`));
    await settled();
  }
  fireWatch(): void {
    for (const watcher of this.watchers) watcher({} as zookeeper.Event);
  }
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

function harness(seeds: readonly Target[], fallbackAfterMs = 60_000) {
  const clients: FakeClient[] = [];
  const createClient: SeedClientFactory = (options, hooks) => {
    const client = new FakeClient(options.endpoints.join(','), hooks);
    clients.push(client);
    return client;
  };
  const seedLists = new BehaviorSubject<readonly Target[]>(seeds);
  const log = new LogRecorder();
  const recorder = new ListRecorder(ensembleTargets(seedLists, { logger: log.logger, createClient, fallbackAfterMs }));
  const client = () => clients.at(-1)!;
  return { clients, client, seedLists, log, recorder };
}

const seed = (endpoint: string, attributes: Record<string, string> = {}): Target => ({ endpoint, attributes });
const CONFIG_3 =
  'server.1=h1:2888:3888:participant;h1:2181\nserver.2=h2:2888:3888:participant;0.0.0.0:2181\nserver.3=h3:2888:3888:observer;2181\nversion=100000000\n';
const CONFIG_2 = 'server.1=h1:2888:3888:participant;h1:2181\nserver.3=h3:2888:3888:observer;2181\nversion=100000005\n';

describe('ensembleTargets (scripted client)', async () => {
  it('connects to the seeds and emits the members with server id and role, seed attributes kept', async () => {
    const h = harness([seed('h1:2181', { dc: 'west' }), seed('dead:2181')]);
    assert.equal(h.client().connectString, 'h1:2181,dead:2181');
    assert.ok(h.client().connected);
    assert.equal(h.recorder.lists.length, 0, 'nothing before the membership is read or the fallback wait is over');
    h.client().state('connected');
    await h.client().answer(CONFIG_3);
    assert.deepEqual(withoutMeta(h.recorder.latest), [
      { endpoint: 'h1:2181', attributes: { dc: 'west', 'zk.server.id': '1', 'zk.member.role': 'participant' } },
      { endpoint: 'h2:2181', attributes: { 'zk.server.id': '2', 'zk.member.role': 'participant' } },
      { endpoint: 'h3:2181', attributes: { 'zk.server.id': '3', 'zk.member.role': 'observer' } },
    ]);
    // What relabel_configs see: the source, role and id, beside the seed's own meta labels.
    assert.deepEqual(h.recorder.latest?.[2]?.meta, {
      __meta_zookeeper_source: 'ensemble',
      __meta_zookeeper_member_role: 'observer',
      __meta_zookeeper_member_id: '3',
    });
    assert.equal(h.log.matching(/^ensemble membership$/).length, 1);
    h.recorder.stop();
    assert.ok(h.client().closed);
  });

  it('follows the watch: a reconfig removes a member; the same membership again emits nothing', async () => {
    const h = harness([seed('h1:2181')]);
    h.client().state('connected');
    await h.client().answer(CONFIG_3);
    h.client().fireWatch();
    await h.client().answer(CONFIG_2);
    assert.deepEqual(h.recorder.endpoints, ['h1:2181', 'h3:2181']);
    h.client().fireWatch();
    await h.client().answer(CONFIG_2);
    assert.equal(h.recorder.lists.length, 2);
    assert.equal(h.client().watchers.size, 1, 'one watch function, registered once');
    h.recorder.stop();
  });

  it('keeps the last membership while disconnected and across an expired session, reconnecting to seeds and members', async () => {
    const h = harness([seed('h1:2181')]);
    h.client().state('connected');
    await h.client().answer(CONFIG_3);
    h.client().state('disconnected');
    await h.log.until(/lost the connection to the seeds; keeping the last known membership/);
    h.client().state('expired');
    await h.log.until(/the seed session expired; reconnecting/);
    assert.equal(h.recorder.lists.length, 1, 'no new list: the last membership is kept');
    // A new session after the backoff, through the seeds and the known members.
    const second = await pollClient(h.clients, 2);
    assert.ok(h.clients[0]!.closed);
    assert.equal(second.connectString, 'h1:2181,h2:2181,h3:2181');
    second.state('connected');
    await second.answer(CONFIG_2);
    assert.deepEqual(h.recorder.endpoints, ['h1:2181', 'h3:2181']);
    h.recorder.stop();
  });

  it('falls back to the seeds when none answers in time, then switches to the members once one does', async () => {
    const h = harness([seed('a:2181'), seed('h1:2181')], 30);
    await h.recorder.untilEndpoints(['a:2181', 'h1:2181']);
    await h.log.until(/no seed answered yet; probing the seeds themselves/);
    h.client().state('connected');
    await h.client().answer(CONFIG_3);
    assert.deepEqual(h.recorder.endpoints, ['h1:2181', 'h2:2181', 'h3:2181']);
    h.recorder.stop();
  });

  it('falls back to the seeds at once when they have no dynamic membership (before 3.5, or standalone)', async () => {
    const noNode = harness([seed('old:2181')]);
    noNode.client().state('connected');
    await noNode.client().fail('NO_NODE');
    assert.deepEqual(noNode.recorder.endpoints, ['old:2181']);
    await noNode.log.until(/have no \/zookeeper\/config/);
    noNode.recorder.stop();
    const empty = harness([seed('standalone:2181')]);
    empty.client().state('connected');
    await empty.client().answer('');
    assert.deepEqual(empty.recorder.endpoints, ['standalone:2181']);
    empty.recorder.stop();
  });

  it('reconnects when the seeds change, keeping the membership meanwhile', async () => {
    const h = harness([seed('h1:2181')]);
    h.client().state('connected');
    await h.client().answer(CONFIG_2);
    h.seedLists.next([seed('h1:2181'), seed('h9:2181')]);
    assert.equal(h.clients.length, 2);
    assert.ok(h.clients[0]!.closed);
    assert.equal(h.client().connectString, 'h1:2181,h9:2181,h3:2181');
    assert.equal(h.recorder.lists.length, 1);
    h.seedLists.next([seed('h1:2181'), seed('h9:2181')]);
    assert.equal(h.clients.length, 2, 'same seeds: same session');
    h.recorder.stop();
  });
});

function pollClient(clients: FakeClient[], count: number): Promise<FakeClient> {
  return pollUntil(() => clients[count - 1], { timeoutMs: 10_000, intervalMs: 20, what: `client #${count}` });
}
