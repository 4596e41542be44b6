/** ZooKeeper / Client experience: what zookeeper_session's real client sessions saw through each server. */
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import { clusterVariable, dashboard, DATASOURCE, endpointVariable, queries, query, SERVER, thresholds, timeSeries } from './common.js';

const OPERATION = `zookeeper_client_operation_duration_bucket{${SERVER}}`;

export function clientExperienceDashboard() {
  return dashboard(
    'ZooKeeper / Client experience',
    'zkotel-zookeeper-client',
    'Latency, replication lag, errors and connect time as a real ZooKeeper client sees them (the zookeeper_session receiver: one session per server).',
  )
    .withVariable(clusterVariable())
    .withVariable(endpointVariable())
    .withPanel(
      new heatmap.PanelBuilder()
        .title('Operation latency distribution')
        .description('Every create, set, get, exists, children and delete of the probe sessions, by latency bucket.')
        .datasource(DATASOURCE)
        .unit('s')
        .span(24)
        .height(8)
        .withTarget(query(`sum by (le) (increase(${OPERATION}[$__rate_interval]))`, '{{le}}', { heatmap: true })),
    )
    .withPanel(
      timeSeries(
        { title: 'Operation latency p50 and p99', unit: 's', description: 'Median and 99th percentile per operation, over all selected servers.' },
        queries(
          () => query(`histogram_quantile(0.5, sum by (le, operation) (rate(${OPERATION}[$__rate_interval])))`, '{{operation}} p50'),
          () => query(`histogram_quantile(0.99, sum by (le, operation) (rate(${OPERATION}[$__rate_interval])))`, '{{operation}} p99'),
        ),
      ).thresholds(
        thresholds([
          [null, 'green'],
          [0.1, 'orange'],
          [0.5, 'red'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Replication lag p99',
          unit: 's',
          description: "From a write's acknowledgement through one server (source) until another server's session saw it.",
        },
        queries(() =>
          query(
            `histogram_quantile(0.99, sum by (le, zk_endpoint, source) (rate(zookeeper_client_replication_lag_bucket{${SERVER}}[$__rate_interval])))`,
            '{{source}} → {{zk_endpoint}}',
          ),
        ),
      ).thresholds(
        thresholds([
          [null, 'green'],
          [0.5, 'orange'],
          [2, 'red'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Errors by ZooKeeper code',
          unit: 'ops',
          description: 'Failed operations per second by operation and code (CONNECTION_LOSS, NO_QUORUM, OPERATION_TIMEOUT, …).',
        },
        queries(
          () => query(`sum by (operation, code) (rate(zookeeper_client_operation_errors_total{${SERVER}}[$__rate_interval]))`, '{{operation}} {{code}}'),
          () => query(`sum(rate(zookeeper_client_session_expirations_total{${SERVER}}[$__rate_interval]))`, 'session expirations'),
          () => query(`sum(rate(zookeeper_client_reconnects_total{${SERVER}}[$__rate_interval]))`, 'reconnects'),
        ),
      ).thresholds(
        thresholds([
          [null, 'green'],
          [0.01, 'red'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Connect time', unit: 's', description: 'Time to open a session (TCP, TLS, ZooKeeper handshake), p50 and p99 per server.' },
        queries(
          () =>
            query(
              `histogram_quantile(0.5, sum by (le, zk_endpoint) (rate(zookeeper_client_connect_duration_bucket{${SERVER}}[$__rate_interval])))`,
              '{{zk_endpoint}} p50',
            ),
          () =>
            query(
              `histogram_quantile(0.99, sum by (le, zk_endpoint) (rate(zookeeper_client_connect_duration_bucket{${SERVER}}[$__rate_interval])))`,
              '{{zk_endpoint}} p99',
            ),
        ),
      ),
    );
}
