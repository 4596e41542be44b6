/** ZooKeeper / Overview: one row per cluster, with what answers "is it OK?" at a glance. */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import { CLUSTER, clusterVariable, dashboard, queries, query, statPanel, thresholds, timeSeries, valueText } from './common.js';

/** Voting members that serve (up, leader or follower), and the majority the cluster needs. */
const SERVING = `sum(zookeeper_server_state{${CLUSTER}, state=~"leader|follower"} * on (zk_cluster, zk_endpoint) group_left zookeeper_up{${CLUSTER}})`;
const MAJORITY = `(floor(max(zookeeper_quorum_size{${CLUSTER}}) / 2) + 1)`;
/** 0 ok, 1 at risk (one more failure loses the quorum), 2 lost; no serving member at all is lost too. */
export const QUORUM_STATE = `((${SERVING} < bool ${MAJORITY}) * 2 + (${SERVING} == bool ${MAJORITY})) or on () vector(2)`;

export function overviewDashboard() {
  return dashboard(
    'ZooKeeper / Overview',
    'zkotel-zookeeper-overview',
    'Every ZooKeeper cluster zkotel probes: quorum, leader, members, elections, alerts, client latency, throughput.',
  )
    .withVariable(clusterVariable())
    .withRow(new RowBuilder('Cluster $cluster').repeat('cluster'))
    .withPanel(
      statPanel(
        {
          title: 'Quorum',
          unit: 'none',
          description:
            'ok: more voting members serve than a majority needs. at risk: exactly a majority serves, so one more failure loses the quorum. lost: fewer than a majority, or none, serve; the cluster refuses writes.',
        },
        queries(() => query(QUORUM_STATE, 'quorum', { instant: true })),
        4,
      )
        .mappings(valueText({ '0': ['ok', 'green'], '1': ['at risk', 'orange'], '2': ['lost', 'red'] }))
        .thresholds(
          thresholds([
            [null, 'green'],
            [1, 'orange'],
            [2, 'red'],
          ]),
        ),
    )
    .withPanel(
      statPanel(
        {
          title: 'Leader',
          unit: 'none',
          description: 'The member that reports itself leader. Several names mean a split: a partitioned node still thinks it leads.',
        },
        queries(() => query(`zookeeper_server_state{${CLUSTER}, state="leader"} == 1`, '{{zk_endpoint}}', { instant: true })),
        5,
        BigValueTextMode.Name,
      ).noValue('no leader'),
    )
    .withPanel(
      statPanel(
        { title: 'Members up', unit: 'none', description: 'Members whose last probe succeeded, of all members zkotel probes in this cluster.' },
        queries(
          () => query(`sum(zookeeper_up{${CLUSTER}})`, 'up', { instant: true }),
          () => query(`count(zookeeper_up{${CLUSTER}})`, 'total', { instant: true }),
        ),
        3,
        BigValueTextMode.ValueAndName,
      ).thresholds(
        thresholds([
          [null, 'red'],
          [1, 'green'],
        ]),
      ),
    )
    .withPanel(
      statPanel(
        {
          title: 'Elections',
          unit: 'none',
          description:
            "Leader elections the members took part in over the dashboard's time range (mntr election_time count). More than one per failure is worth a look.",
        },
        queries(() => query(`max(increase(zookeeper_election_time_count_total{${CLUSTER}}[$__range]))`, 'elections', { instant: true })),
        3,
      ).thresholds(
        thresholds([
          [null, 'green'],
          [1, 'orange'],
          [3, 'red'],
        ]),
      ),
    )
    .withPanel(
      statPanel(
        {
          title: 'Alerts firing',
          unit: 'none',
          description:
            "Alerts of zkotel's rules (ZooKeeperQuorumLost, ZooKeeperServerDown, …) firing for this cluster, from Prometheus's ALERTS series. 0 when the rules are not loaded.",
        },
        queries(() => query(`count(ALERTS{alertstate="firing", ${CLUSTER}}) or on () vector(0)`, 'firing', { instant: true })),
        3,
      ).thresholds(
        thresholds([
          [null, 'green'],
          [1, 'red'],
        ]),
      ),
    )
    .withPanel(
      statPanel(
        { title: 'Firing', unit: 'none', description: 'Names of the alerts firing for this cluster.' },
        queries(() => query(`count by (alertname) (ALERTS{alertstate="firing", ${CLUSTER}})`, '{{alertname}}', { instant: true })),
        6,
        BigValueTextMode.Name,
      ).noValue('none'),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Client p99 latency',
          unit: 's',
          description:
            'What a client sees: the 99th percentile of zookeeper_session operations (create, set, get, exists, children, delete) through every member.',
        },
        queries(() => query(`histogram_quantile(0.99, sum by (le) (rate(zookeeper_client_operation_duration_bucket{${CLUSTER}}[$__rate_interval])))`, 'p99')),
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
        { title: 'Throughput', unit: 'pps', description: 'Packets per second received and sent by all members together.' },
        queries(() => query(`sum by (direction) (rate(zookeeper_packet_count_total{${CLUSTER}}[$__rate_interval]))`, '{{direction}}')),
      ),
    );
}
