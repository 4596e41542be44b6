/** ZooKeeper / Server: everything one server reports, per endpoint. */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import { clusterVariable, dashboard, DATASOURCE, endpointVariable, queries, query, SERVER, thresholds, timeSeries, valueText } from './common.js';

const BY = '{{zk_endpoint}}';

export function serverDashboard() {
  return dashboard(
    'ZooKeeper / Server',
    'zkotel-zookeeper-server',
    'One or more ZooKeeper servers in depth: latency, load, data tree, resources, disk, replication, and why a probe failed.',
  )
    .withVariable(clusterVariable())
    .withVariable(endpointVariable())
    .withRow(new RowBuilder('Requests'))
    .withPanel(
      timeSeries(
        {
          title: 'Request latency',
          unit: 'ms',
          description:
            "Server-side request latency: mntr average and maximum since the last reset, and ZooKeeper's own p99 of reads and updates where the server has them (3.6+).",
        },
        queries(
          () => query(`zookeeper_latency_avg{${SERVER}}`, `${BY} avg`),
          () => query(`zookeeper_latency_max{${SERVER}}`, `${BY} max`),
          () => query(`zookeeper_readlatency_p99{${SERVER}}`, `${BY} read p99`),
          () => query(`zookeeper_updatelatency_p99{${SERVER}}`, `${BY} update p99`),
        ),
      ).thresholds(
        thresholds([
          [null, 'green'],
          [100, 'orange'],
          [500, 'red'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Packets', unit: 'pps', description: 'Packets per second the server received and sent.' },
        queries(() => query(`rate(zookeeper_packet_count_total{${SERVER}}[$__rate_interval])`, `${BY} {{direction}}`)),
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Requests in flight',
          unit: 'short',
          description: 'Requests queued or being processed (outstanding_requests). A steady rise means the server cannot keep up.',
        },
        queries(() => query(`zookeeper_request_active{${SERVER}}`, BY)),
      ).thresholds(
        thresholds([
          [null, 'green'],
          [10, 'orange'],
          [100, 'red'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Connections vs limit',
          unit: 'short',
          description: 'Open client connections, and maxClientCnxns (a per-client-IP limit, from the conf command when it is configured).',
        },
        queries(
          () => query(`zookeeper_connection_active{${SERVER}}`, `${BY} open`),
          () => query(`zookeeper_config_max_client_cnxns{${SERVER}}`, `${BY} limit per client IP`),
        ),
      ),
    )
    .withRow(new RowBuilder('Data tree'))
    .withPanel(
      timeSeries(
        { title: 'Znodes', unit: 'short', description: 'Znodes in the data tree.' },
        queries(() => query(`zookeeper_znode_count{${SERVER}}`, BY)),
        6,
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Watches', unit: 'short', description: 'Watches set by clients.' },
        queries(() => query(`zookeeper_watch_count{${SERVER}}`, BY)),
        6,
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Ephemeral znodes', unit: 'short', description: 'Ephemeral znodes: they live as long as their session.' },
        queries(() => query(`zookeeper_data_tree_ephemeral_node_count{${SERVER}}`, BY)),
        6,
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Data size', unit: 'bytes', description: 'Approximate size of the data tree. Snapshots and every sync to a follower move this much.' },
        queries(() => query(`zookeeper_data_tree_size{${SERVER}}`, BY)),
        6,
      ).thresholds(
        thresholds([
          [null, 'green'],
          [512 * 1024 * 1024, 'orange'],
          [1024 * 1024 * 1024, 'red'],
        ]),
      ),
    )
    .withRow(new RowBuilder('Resources and disk'))
    .withPanel(
      timeSeries(
        {
          title: 'File descriptors vs limit',
          unit: 'short',
          description: 'Open file descriptors and the process limit. At the limit the server refuses connections and fails to write.',
        },
        queries(
          () => query(`zookeeper_file_descriptor_open{${SERVER}}`, `${BY} open`),
          () => query(`zookeeper_file_descriptor_limit{${SERVER}}`, `${BY} limit`),
        ),
        8,
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'fsync time',
          unit: 'ms',
          description: 'Time to fsync the transaction log (average and maximum). Slow disks show here first; above 1 s followers drop out.',
        },
        queries(
          () => query(`zookeeper_fsynctime_avg{${SERVER}}`, `${BY} avg`),
          () => query(`zookeeper_fsynctime_max{${SERVER}}`, `${BY} max`),
        ),
        8,
      ).thresholds(
        thresholds([
          [null, 'green'],
          [100, 'orange'],
          [1000, 'red'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Snapshot time', unit: 'ms', description: 'Time to write a snapshot of the data tree (average and maximum).' },
        queries(
          () => query(`zookeeper_snapshottime_avg{${SERVER}}`, `${BY} avg`),
          () => query(`zookeeper_snapshottime_max{${SERVER}}`, `${BY} max`),
        ),
        8,
      ),
    )
    .withRow(new RowBuilder('Replication'))
    .withPanel(
      timeSeries(
        { title: 'Proposals (leader)', unit: 'ops', description: 'Proposals per second the leader sends to its followers.' },
        queries(() => query(`rate(zookeeper_proposal_count_total{${SERVER}}[$__rate_interval])`, BY)),
        8,
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Followers and pending syncs (leader)',
          unit: 'short',
          description: 'Followers in sync and out of sync, and syncs waiting, as the leader reports them.',
        },
        queries(
          () => query(`zookeeper_follower_count{${SERVER}}`, `${BY} {{state}}`),
          () => query(`zookeeper_sync_pending{${SERVER}}`, `${BY} pending syncs`),
        ),
        8,
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Zxid',
          unit: 'short',
          description: 'Transactions in the current epoch (zxid counter) and the epoch (it changes with every new leader). From srvr/stat.',
        },
        queries(
          () => query(`zookeeper_zxid_counter{${SERVER}}`, `${BY} counter`),
          () => query(`zookeeper_zxid_epoch{${SERVER}}`, `${BY} epoch`),
        ),
        8,
      ),
    )
    .withRow(new RowBuilder('Health'))
    .withPanel(
      timeSeries(
        { title: 'Uptime', unit: 'ms', description: 'Time since the server started; a drop is a restart.' },
        queries(() => query(`zookeeper_uptime{${SERVER}}`, BY)),
        8,
      ),
    )
    .withPanel(
      new statetimeline.PanelBuilder()
        .title('Up and failure reasons')
        .description('Whether each probe succeeded, and when it did not, which command failed and why (refused, timeout, not_serving, tls_…).')
        .datasource(DATASOURCE)
        .unit('none')
        .span(16)
        .height(8)
        .mappings(valueText({ '0': ['down', 'red'], '1': ['up', 'green'] }))
        .thresholds(
          thresholds([
            [null, 'red'],
            [1, 'green'],
          ]),
        )
        .withTarget(query(`zookeeper_up{${SERVER}}`, `${BY} up`))
        .withTarget(query(`zookeeper_probe_failure{${SERVER}} * 0`, `${BY} {{command}}: {{reason}}`)),
    );
}
