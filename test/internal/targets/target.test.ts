import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reservedAttributeClash } from '../../../src/internal/targets/target.js';

describe('reserved attributes', () => {
  it('clash after Prometheus name sanitisation, and only then', () => {
    assert.equal(reservedAttributeClash('zk_endpoint'), 'zk.endpoint');
    assert.equal(reservedAttributeClash('zk__member__role'), 'zk.member.role');
    assert.equal(reservedAttributeClash('code', new Set(['code'])), 'code');
    assert.equal(reservedAttributeClash('code'), undefined, 'code is reserved only when a receiver sets it');
    assert.equal(reservedAttributeClash('zk_endpoint_name'), undefined);
    assert.equal(reservedAttributeClash('Code'), undefined);
    assert.equal(reservedAttributeClash('env'), undefined);
  });
});
