/** zkotel / Agent: the agent's own telemetry (zkotel_*): is the monitor itself healthy? */
import { dashboard, queries, query, thresholds, timeSeries } from './common.js';

export function agentDashboard() {
  return dashboard('zkotel / Agent', 'zkotel-agent', 'The zkotel agent itself: probes, failures, targets, pipeline stages, scrapes, reloads and its process.')
    .withPanel(
      timeSeries(
        { title: 'Probe duration p50 and p99', unit: 's', description: 'How long one probe of one server takes, per receiver.' },
        queries(
          () => query('histogram_quantile(0.5, sum by (le, receiver) (rate(zkotel_receiver_probe_duration_bucket[$__rate_interval])))', '{{receiver}} p50'),
          () => query('histogram_quantile(0.99, sum by (le, receiver) (rate(zkotel_receiver_probe_duration_bucket[$__rate_interval])))', '{{receiver}} p99'),
        ),
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Probe failures by reason',
          unit: 'ops',
          description: 'Failed commands per second by receiver and reason (refused, timeout, not_serving, …).',
        },
        queries(() => query('sum by (receiver, reason) (rate(zkotel_receiver_probe_failures_total[$__rate_interval]))', '{{receiver}} {{reason}}')),
      ).thresholds(
        thresholds([
          [null, 'green'],
          [0.01, 'red'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Skipped probes',
          unit: 'ops',
          description: 'Ticks skipped because the previous probe of the same server was still running: the interval is too short for the timeout.',
        },
        queries(() => query('sum by (receiver) (rate(zkotel_receiver_probe_skipped_total[$__rate_interval]))', '{{receiver}}')),
        8,
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Targets', unit: 'short', description: 'Servers each receiver probes now (static endpoints plus discovery). 0 means it probes nothing.' },
        queries(() => query('sum by (receiver) (zkotel_receiver_targets)', '{{receiver}}')),
        8,
      ).thresholds(
        thresholds([
          [null, 'red'],
          [1, 'green'],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Config reloads', unit: 's', description: 'Whether the last reload succeeded (1) and how long ago the config was last loaded.' },
        queries(
          () => query('zkotel_config_last_reload_successful', 'last reload successful'),
          () => query('time() - zkotel_config_last_reload_success_timestamp_seconds', 'since last successful load'),
        ),
        8,
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Stage samples', unit: 'short', description: 'Samples per second into each processor, and those it dropped.' },
        queries(
          () => query('sum by (pipeline, processor) (rate(zkotel_processor_samples_in_total[$__rate_interval]))', '{{pipeline}}/{{processor}} in'),
          () => query('sum by (pipeline, processor) (rate(zkotel_processor_samples_dropped_total[$__rate_interval]))', '{{pipeline}}/{{processor}} dropped'),
        ),
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Scrapes of /metrics', unit: 's', description: 'Scrape duration p99 per exporter, and scrapes per second by HTTP code.' },
        queries(
          () =>
            query(
              'histogram_quantile(0.99, sum by (le, exporter) (rate(zkotel_exporter_prometheus_scrape_duration_bucket[$__rate_interval])))',
              '{{exporter}} p99',
            ),
          () => query('sum by (exporter, code) (rate(zkotel_exporter_prometheus_scrapes_total[$__rate_interval]))', '{{exporter}} {{code}} /s'),
        ),
      ),
    )
    .withPanel(
      timeSeries(
        {
          title: 'Process CPU and event loop',
          unit: 's',
          description: 'CPU seconds per second used by the agent, and the event-loop delay (a busy loop delays every probe).',
        },
        queries(
          () => query('rate(zkotel_process_cpu_seconds_total[$__rate_interval])', 'cpu'),
          () => query('zkotel_process_eventloop_lag_seconds', 'event loop {{statistic}}'),
        ),
      ),
    )
    .withPanel(
      timeSeries(
        { title: 'Process memory', unit: 'bytes', description: 'Resident set and heap of the agent.' },
        queries(() => query('zkotel_process_memory_bytes', '{{kind}}')),
      ),
    );
}
