import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEMBER_ROLE_ATTRIBUTE, SERVER_ID_ATTRIBUTE } from '../../../src/receivers/discovery/ensemble.js';
import { RESERVED_ATTRIBUTES, reservedAttributeClash } from '../../../src/receivers/discovery/target.js';
import { OTEL_MNTR_METRICS, SUMMARY_SET_FAMILIES } from '../../../src/receivers/zookeeper/catalog.js';
import { CONF_ATTRIBUTES, ENVI_ATTRIBUTES, MEMBERSHIP_VERSION_ATTRIBUTE } from '../../../src/receivers/zookeeper/parse-extra.js';
import { SessionMetrics } from '../../../src/receivers/zookeeper_session/metrics.js';

describe('reserved attributes', () => {
  it('cover every attribute the receivers set, so no target label can be exported beside one of them', () => {
    const session = new SessionMetrics({ 'zk.endpoint': 'a:1', 'zk.cluster': 'c' });
    session.lag('b:1', 0.1);
    session.error('create', 'CONNECTION_LOSS');
    const set = new Set<string>([
      SERVER_ID_ATTRIBUTE,
      MEMBER_ROLE_ATTRIBUTE,
      ...Object.values(OTEL_MNTR_METRICS).flatMap((spec) => Object.keys(spec.attributes ?? {})),
      ...Object.values(SUMMARY_SET_FAMILIES),
      ...Object.values(ENVI_ATTRIBUTES),
      ...Object.values(CONF_ATTRIBUTES),
      MEMBERSHIP_VERSION_ATTRIBUTE,
      ...session.samples().flatMap((sample) => Object.keys(sample.attributes)),
    ]);
    const missing = [...set].filter((name) => !RESERVED_ATTRIBUTES.includes(name));
    assert.deepEqual(missing, []);
  });

  it('clash after Prometheus name sanitisation, and only then', () => {
    assert.equal(reservedAttributeClash('zk_endpoint'), 'zk.endpoint');
    assert.equal(reservedAttributeClash('zk__member__role'), 'zk.member.role');
    assert.equal(reservedAttributeClash('code'), 'code');
    assert.equal(reservedAttributeClash('zk_endpoint_name'), undefined);
    assert.equal(reservedAttributeClash('Code'), undefined);
    assert.equal(reservedAttributeClash('env'), undefined);
  });
});
