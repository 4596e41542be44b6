import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnsembleConfig } from '../../../src/internal/targets/ensemble-config.js';

describe('parseEnsembleConfig', () => {
  it('reads members, roles, client addresses and the version of a real 3.8 /zookeeper/config', () => {
    // As read from the test ensemble with one observer (ZooKeeperMain `config`).
    const parsed = parseEnsembleConfig(
      'server.1=127.0.0.1:26761:29225:participant;127.0.0.1:28516\n' +
        'server.2=127.0.0.1:29598:24192:participant;127.0.0.1:28722\n' +
        'server.3=127.0.0.1:27921:27169:observer;127.0.0.1:25446\n' +
        'version=100000000',
    );
    assert.equal(parsed.version, '100000000');
    assert.deepEqual(parsed.members, [
      { id: '1', role: 'participant', endpoint: '127.0.0.1:28516' },
      { id: '2', role: 'participant', endpoint: '127.0.0.1:28722' },
      { id: '3', role: 'observer', endpoint: '127.0.0.1:25446' },
    ]);
    assert.deepEqual(parsed.problems, []);
  });

  const cases: [string, string, string | undefined][] = [
    ['a wildcard client host means the server host', 'server.1=zk1.example:2888:3888:participant;0.0.0.0:2181', 'zk1.example:2181'],
    ['an IPv6 wildcard too', 'server.1=zk1.example:2888:3888:participant;[::]:2181', 'zk1.example:2181'],
    ['a port alone means the server host', 'server.1=10.0.0.1:2888:3888:observer;2181', '10.0.0.1:2181'],
    ['no role means participant', 'server.1=10.0.0.1:2888:3888;10.0.0.9:2181', '10.0.0.9:2181'],
    ['IPv6 hosts keep their brackets', 'server.1=[fd00::1]:2888:3888:participant;[fd00::1]:2181', '[fd00::1]:2181'],
    ['IPv6 server host for a port-only client', 'server.1=[fd00::1]:2888:3888:participant;2181', '[fd00::1]:2181'],
    ['several quorum addresses (3.6+): the first names the host', 'server.1=a.example:2888:3888|b.example:2888:3888;2181', 'a.example:2181'],
    ['spaces around the line', '  server.7=h:1:2:participant;h:2181  ', 'h:2181'],
  ];
  for (const [what, line, endpoint] of cases) {
    it(what, () => {
      const parsed = parseEnsembleConfig(line);
      assert.deepEqual(parsed.problems, []);
      assert.equal(parsed.members[0]?.endpoint, endpoint);
    });
  }

  it('sorts members by server id', () => {
    const parsed = parseEnsembleConfig('server.10=h:1:2;h:10\nserver.2=h:1:2;h:2\n');
    assert.deepEqual(
      parsed.members.map((m) => m.id),
      ['2', '10'],
    );
  });

  it('skips unusable lines with a reason, keeping the rest', () => {
    const parsed = parseEnsembleConfig(
      [
        'server.1=h1:2888:3888:participant',
        'server.2=h2:2888:3888:witness;2181',
        'server.3=h3:2888:3888:participant;h3:99999',
        'garbage',
        'server.4=h4:1:2;h4:2181',
      ].join('\n'),
    );
    assert.deepEqual(
      parsed.members.map((m) => m.id),
      ['4'],
    );
    assert.equal(parsed.problems.length, 4);
    assert.match(parsed.problems[0]!, /server\.1: no client address/);
    assert.match(parsed.problems[1]!, /server\.2: unknown role "witness"/);
    assert.match(parsed.problems[2]!, /server\.3: cannot read the client address/);
    assert.match(parsed.problems[3]!, /unexpected line "garbage"/);
  });

  it('skips a member whose client address would not read back as host:port', () => {
    const parsed = parseEnsembleConfig(['server.1=h 1:2888:3888:participant;0.0.0.0:2181', 'server.2=h2:2888:3888;h2:2181'].join('\n'));
    assert.deepEqual(
      parsed.members.map((m) => m.endpoint),
      ['h2:2181'],
    );
    assert.deepEqual(parsed.problems, ['server.1: the client address "h 1:2181" is no host:port']);
  });

  it('member_port replaces the listed client port, and makes members without a client address (TLS-only) probeable', () => {
    const parsed = parseEnsembleConfig('server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\nserver.2=10.0.0.2:2888:3888:observer\n', { memberPort: 2281 });
    assert.deepEqual(parsed.members, [
      { id: '1', role: 'participant', endpoint: '10.0.0.1:2281' },
      { id: '2', role: 'observer', endpoint: '10.0.0.2:2281' },
    ]);
    assert.deepEqual(parsed.problems, []);
  });

  it('an empty config (standalone) has no members', () => {
    assert.deepEqual(parseEnsembleConfig(''), { version: undefined, members: [], problems: [] });
  });
});
