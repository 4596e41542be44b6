import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeMetric } from '../../../src/core/batch.js';
import { prometheusLabelName, prometheusMetricName } from '../../../src/internal/prometheus/names.js';

describe('Prometheus names', () => {
  it('label names: invalid characters become _, runs of _ collapse, a leading digit gets a leading _', () => {
    assert.equal(prometheusLabelName('zk.endpoint'), 'zk_endpoint');
    assert.equal(prometheusLabelName('a..b--c'), 'a_b_c');
    assert.equal(prometheusLabelName('10.0.0.1'), '_10_0_0_1');
    assert.equal(prometheusLabelName('.5'), '_5');
    assert.equal(prometheusLabelName('__meta'), '_meta');
  });

  it('metric names: counters end in _total once, a leading digit gets a leading _', () => {
    assert.equal(prometheusMetricName(describeMetric('zookeeper.packets.received', 'counter')), 'zookeeper_packets_received_total');
    assert.equal(prometheusMetricName(describeMetric('x_total', 'counter')), 'x_total');
    assert.equal(prometheusMetricName(describeMetric('5xx.count', 'gauge')), '_5xx_count');
  });
});
