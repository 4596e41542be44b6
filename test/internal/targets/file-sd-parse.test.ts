import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { builtinRegistry } from '../../../src/components.js';
import { FILE_SD_PATTERN, filePattern, readFileSdFile } from '../../../src/internal/targets/file-sd-parse.js';
import { withoutMeta, withoutMetaResult } from './recorder.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'zkotel-file-sd-parse-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('readFileSdFile', () => {
  it('reads Prometheus JSON target groups; labels become attributes, __ meta labels do not', () => {
    const file = fileWith(
      'a.json',
      JSON.stringify([{ targets: ['zk1:2181', 'zk2:2181'], labels: { env: 'prod', __meta_rack: 'r1' } }, { targets: ['zk3:2181', 'zk1:2181'] }]),
    );
    assert.deepEqual(withoutMetaResult(readFileSdFile(file)), {
      targets: [
        { endpoint: 'zk1:2181', attributes: { env: 'prod' } },
        { endpoint: 'zk2:2181', attributes: { env: 'prod' } },
        { endpoint: 'zk3:2181', attributes: {} },
      ],
      problems: [],
    });
  });

  it('reads YAML target groups', () => {
    const file = fileWith('b.yaml', '- targets: ["[::1]:2181"]\n  labels:\n    dc: west\n');
    assert.deepEqual(withoutMetaResult(readFileSdFile(file)), { targets: [{ endpoint: '[::1]:2181', attributes: { dc: 'west' } }], problems: [] });
  });

  const bad: [string, string, string, RegExp][] = [
    ['a YAML syntax error, located', 'c.yaml', '- targets: [zk1:2181\n', /c\.yaml:2:1: /],
    ['a JSON syntax error, located', 'c.json', '[{"targets": ["zk1:2181"],}\n', /c\.json:\d+:\d+: Flow sequence/],
    ['a bad label name', 'e.yaml', '- targets: [zk1:2181]\n  labels: {"bad-name": x}\n', /invalid label name "bad-name"/],
    ['a label value that is not a string', 'f.yaml', '- targets: [zk1:2181]\n  labels: {rack: 3}\n', /0::labels::rack: expected string, got number 3/],
    ['an unknown key', 'g.yaml', '- targets: [zk1:2181]\n  lables: {}\n', /unknown key "lables"/],
    ['a mapping instead of a list', 'h.yaml', 'targets: [zk1:2181]\n', /expected a list of target groups/],
    ['an empty file (probably being rewritten)', 'i.json', '', /the file is empty/],
  ];
  for (const [what, name, text, message] of bad) {
    it(`reports ${what}, naming the file`, () => {
      const result = readFileSdFile(fileWith(name, text));
      assert.equal(result.targets, undefined);
      assert.match(result.error ?? '', message);
      assert.ok(result.error?.includes(path.join(dir, name)), result.error);
    });
  }

  it("drops a bad target with a located problem, keeping the file's other targets", () => {
    const file = fileWith('d.yaml', '- targets:\n    - zk1:2181\n    - no-port\n    - ":2181"\n');
    const result = readFileSdFile(file);
    assert.deepEqual(withoutMeta(result.targets), [{ endpoint: 'zk1:2181', attributes: {} }]);
    assert.equal(result.problems?.length, 2);
    assert.match(result.problems?.[0] ?? '', /d\.yaml:3:7: 0::targets::1: invalid endpoint "no-port": expected host:port .*target dropped/);
    assert.match(result.problems?.[1] ?? '', /d\.yaml:4:7: 0::targets::2: invalid endpoint ":2181"/);
  });

  // Labels that would be exported as the same Prometheus label as an attribute the receivers set (identity, or
  // what the built-in receivers' factories declare).
  const receiverAttributes = builtinRegistry().receiverAttributes();
  const reserved: [string, string][] = [
    ['zk_endpoint', 'zk.endpoint'],
    ['zk__cluster', 'zk.cluster'],
    ['zk_server_id', 'zk.server.id'],
    ['zk_member_role', 'zk.member.role'],
    ['operation', 'operation'],
    ['source', 'source'],
    ['state', 'state'],
    ['client_address', 'client_address'],
    ['le', 'le'],
  ];
  for (const [label, attribute] of reserved) {
    it(`drops the reserved label ${label} (clashes with ${attribute}) with a located problem, keeping the group's other labels`, () => {
      const file = fileWith(`reserved-${label}.yaml`, `- targets: [zk1:2181]\n  labels:\n    env: prod\n    ${label}: x\n- targets: [zk2:2181]\n`);
      const result = readFileSdFile(file, receiverAttributes);
      assert.deepEqual(withoutMeta(result.targets), [
        { endpoint: 'zk1:2181', attributes: { env: 'prod' } },
        { endpoint: 'zk2:2181', attributes: {} },
      ]);
      assert.equal(result.problems?.length, 1);
      assert.match(
        result.problems?.[0] ?? '',
        new RegExp(`reserved-${label}\\.yaml:4:5: 0::labels::${label}: label "${label}" is reserved: .* attribute ${attribute.replaceAll('.', '\\.')} `),
      );
    });
  }

  it("zk_cluster sets the targets' cluster; __ labels, the source and the file are meta labels for relabeling", () => {
    const file = fileWith('cluster.yaml', '- targets: [zk1:2181]\n  labels: {zk_cluster: orders, env: prod, __meta_tier: gold}\n');
    const result = readFileSdFile(file, receiverAttributes);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.targets, [
      {
        endpoint: 'zk1:2181',
        attributes: { 'zk.cluster': 'orders', env: 'prod' },
        meta: { __meta_tier: 'gold', __meta_zookeeper_source: 'file_sd', __meta_filepath: file },
      },
    ]);
  });

  it('keeps labels that only look like reserved ones', () => {
    const file = fileWith('near.yaml', '- targets: [zk1:2181]\n  labels: {zk_endpoints: a, _source: b, Operation: c, zk: d}\n');
    assert.deepEqual(withoutMetaResult(readFileSdFile(file, receiverAttributes)), {
      targets: [{ endpoint: 'zk1:2181', attributes: { zk_endpoints: 'a', _source: 'b', Operation: 'c', zk: 'd' } }],
      problems: [],
    });
  });

  it('reports a missing file', () => {
    assert.match(readFileSdFile(path.join(dir, 'missing.json')).error ?? '', /no such file/);
  });
});

describe('file_sd patterns', () => {
  it('accepts what Prometheus accepts', () => {
    for (const ok of ['targets.json', 'sd/zk_*.yaml', '/etc/zk/*.yml', 'a/b/c.JSON', 'sd/a*b*.json']) assert.match(ok, FILE_SD_PATTERN, ok);
    for (const notOk of ['targets.txt', 'sd/*/zk.json', '*']) assert.doesNotMatch(notOk, FILE_SD_PATTERN, notOk);
  });

  it('matches names in the pattern directory', () => {
    const pattern = filePattern('sd/zk_*.json');
    assert.equal(pattern.directory, 'sd');
    assert.deepEqual(
      ['zk_a.json', 'zk_.json', 'zk.json', 'zk_a.json.tmp', 'x_zk_a.json'].filter((name) => pattern.matches(name)),
      ['zk_a.json', 'zk_.json'],
    );
    const exact = filePattern('/etc/zk/targets.yaml');
    assert.equal(exact.directory, '/etc/zk');
    assert.deepEqual(
      ['targets.yaml', 'targets.yml', 'targetsxyaml'].filter((name) => exact.matches(name)),
      ['targets.yaml'],
    );
    assert.deepEqual(
      ['zk-1.json', 'zk-12.json'].filter((name) => filePattern('zk-?.json').matches(name)),
      ['zk-1.json'],
    );
  });
});
