import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaProblems } from '../../../src/core/config/schema.js';
import { zookeeperReceiverConfigSchema } from '../../../src/receivers/zookeeper/config.js';

function parse(input: unknown) {
  const result = zookeeperReceiverConfigSchema.safeParse(input);
  return result.success ? { config: result.data } : { problems: schemaProblems(result.error).map((p) => `${p.path.join('::')}: ${p.message}`) };
}

describe('discovery config', () => {
  it('fills in defaults', () => {
    const { config } = parse({ discovery: { file_sd: { files: ['sd/*.json'] }, dns: { names: ['_zk._tcp.zk.example'] } } });
    assert.deepEqual(config?.discovery, {
      ensemble: false,
      file_sd: { files: ['sd/*.json'], refresh_interval: 300_000 },
      dns: { names: ['_zk._tcp.zk.example'], type: 'SRV' }, // refresh_interval: the receiver's collection_interval
    });
  });

  it('probes 127.0.0.1:2181 by default only when no file_sd or dns names targets', () => {
    assert.deepEqual(parse({}).config?.endpoints, ['127.0.0.1:2181']);
    assert.deepEqual(
      parse({ discovery: { ensemble: true } }).config?.endpoints,
      ['127.0.0.1:2181'],
      'ensemble discovery expands seeds: the default is its seed',
    );
    assert.deepEqual(parse({ discovery: { file_sd: { files: ['a.json'] } } }).config?.endpoints, []);
    assert.deepEqual(parse({ discovery: { dns: { names: ['zk'], type: 'A', port: 2181 } } }).config?.endpoints, []);
    assert.deepEqual(parse({ endpoints: ['zk:2181'], discovery: { dns: { names: ['zk'], type: 'A', port: 2181 } } }).config?.endpoints, ['zk:2181']);
  });

  it('accepts a DNS server given as IPv4 or IPv6 address and port', () => {
    assert.equal(parse({ discovery: { dns: { names: ['zk'], server: '10.0.0.2:53' } } }).config?.discovery?.dns?.server, '10.0.0.2:53');
    assert.equal(parse({ discovery: { dns: { names: ['zk'], server: '[fd00::2]:5353' } } }).config?.discovery?.dns?.server, '[fd00::2]:5353');
  });

  const bad: [string, unknown, RegExp][] = [
    ['a port for A records is required', { dns: { names: ['zk'], type: 'A' } }, /discovery::dns::port: required for type A/],
    ['SRV records carry their own port', { dns: { names: ['zk'], port: 2181 } }, /discovery::dns::port: SRV records carry their own port/],
    ['an unknown record type', { dns: { names: ['zk'], type: 'MX' } }, /discovery::dns::type: /],
    ['a bad DNS server', { dns: { names: ['zk'], server: 'nope' } }, /discovery::dns::server: invalid DNS server "nope": expected an IP address and port/],
    [
      'a DNS server given by host name',
      { dns: { names: ['zk'], server: 'dns.example:53' } },
      /discovery::dns::server: invalid DNS server "dns.example:53": .*a host name cannot be used/,
    ],
    ['a DNS server without port', { dns: { names: ['zk'], server: '10.0.0.2' } }, /discovery::dns::server: invalid DNS server "10.0.0.2"/],
    ['no names', { dns: { names: [] } }, /discovery::dns::names: list at least one name/],
    [
      'a file pattern Prometheus would refuse',
      { file_sd: { files: ['sd/*/zk.json'] } },
      /discovery::file_sd::files::0: invalid file pattern "sd\/\*\/zk.json"/,
    ],
    ['no files', { file_sd: { files: [] } }, /discovery::file_sd::files: list at least one file pattern/],
    ['a bad refresh interval', { file_sd: { files: ['a.json'], refresh_interval: 'soon' } }, /discovery::file_sd::refresh_interval: invalid duration "soon"/],
    ['an unknown key', { ensmble: true }, /discovery::ensmble: unknown key "ensmble" \(valid keys: dns, ensemble, file_sd, member_port\)/],
    ['member_port without ensemble discovery', { member_port: 2281 }, /discovery::member_port: applies to ensemble discovery only/],
    ['a member_port out of range', { ensemble: true, member_port: 70000 }, /discovery::member_port: /],
  ];
  for (const [what, discovery, message] of bad) {
    it(`rejects ${what}`, () => {
      const { problems } = parse({ discovery });
      assert.ok(
        problems?.some((problem) => message.test(problem)),
        JSON.stringify(problems),
      );
    });
  }
});
