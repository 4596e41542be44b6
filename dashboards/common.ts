/**
 * What every zkotel dashboard shares: the datasource and label variables, the datasource reference, and small
 * panel helpers that always set a unit and a description. Dashboards are Grafana's own typed builders
 * (@grafana/grafana-foundation-sdk, a devDependency): this folder is outside src/, so the agent never loads it.
 */
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type ValueMapping,
  MappingType,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { ReduceDataOptionsBuilder, BigValueTextMode, BigValueColorMode } from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Every series of a ZooKeeper server, narrowed by the dashboard's variables. */
export const CLUSTER = 'zk_cluster=~"$cluster"';
export const SERVER = 'zk_cluster=~"$cluster", zk_endpoint=~"$endpoint"';

export function dashboard(title: string, uid: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['zookeeper', 'zkotel'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'));
}

function labelVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

export function clusterVariable(): QueryVariableBuilder {
  return labelVariable('cluster', 'Cluster', 'label_values(zookeeper_up, zk_cluster)');
}

export function endpointVariable(): QueryVariableBuilder {
  return labelVariable('endpoint', 'Server', 'label_values(zookeeper_up{zk_cluster=~"$cluster"}, zk_endpoint)');
}

let refIds = 0;
export function query(expr: string, legend = '__auto', options: { instant?: boolean; heatmap?: boolean } = {}): DataqueryBuilder {
  const builder = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(expr)
    .legendFormat(legend)
    .refId(String.fromCharCode(65 + (refIds++ % 26)));
  if (options.instant) builder.instant();
  if (options.heatmap) builder.format(PromQueryFormat.Heatmap);
  return builder;
}

/** Resets the query letters (A, B, …) at the start of each panel. */
export function queries(...builders: (() => DataqueryBuilder)[]): DataqueryBuilder[] {
  refIds = 0;
  return builders.map((build) => build());
}

export function thresholds(steps: [number | null, string][]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

export function valueText(texts: Record<string, [string, string]>): ValueMapping[] {
  const options: Record<string, { text: string; color: string }> = {};
  for (const [value, [text, color]] of Object.entries(texts)) options[value] = { text, color };
  return [{ type: MappingType.ValueToText, options }];
}

export interface PanelText {
  title: string;
  description: string;
  unit: string;
}

export function timeSeries(text: PanelText, targets: cog.Builder<cog.Dataquery>[], width = 12): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder().title(text.title).description(text.description).unit(text.unit).datasource(DATASOURCE).span(width).height(8);
  for (const target of targets) panel.withTarget(target);
  return panel;
}

export function statPanel(text: PanelText, targets: cog.Builder<cog.Dataquery>[], width = 4, textMode = BigValueTextMode.Value): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(text.title)
    .description(text.description)
    .unit(text.unit)
    .datasource(DATASOURCE)
    .span(width)
    .height(4)
    .textMode(textMode)
    .colorMode(BigValueColorMode.Background)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  for (const target of targets) panel.withTarget(target);
  return panel;
}
