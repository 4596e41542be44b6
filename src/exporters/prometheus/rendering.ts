/**
 * Prometheus text exposition rendered when a target's batch arrives, not when it is scraped.
 *
 * Each batch is rendered once into one string (its series, family by family, in batch order) with the offsets of
 * each family's lines; a scrape assembles the body family by family (one `# HELP`/`# TYPE` header, then that
 * family's lines from every source in snapshot order), so families stay contiguous as the exposition format
 * requires, and never formats a number. Label strings are built once per attribute object, names once per descriptor.
 *
 * The output is byte-identical to `PrometheusSerializer` of `@opentelemetry/exporter-prometheus` fed by
 * `snapshotToScopeMetrics` (proven by test/exporters/prometheus/rendering.test.ts). Snapshots where that
 * serializer's conflict rules would drop samples (one metric name with two kinds, or one series from two
 * sources) are not "regular": the exporter then renders them through the OTel path, which also reports them.
 */
import type { Attributes, Batch, MetricDescriptor, Sample } from '../../core/batch.js';

const escapeString = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (text: string): string => escapeString(text).replace(/"/g, '\\"');
const sanitize = (name: string): string => name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
/** Gauges named like a summary's or histogram's series are exposed as untyped (see exporter.ts). */
const RESERVED_SUFFIX = /_(?:count|sum|bucket)$/;

export function valueString(value: number): string {
  return value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : `${value}`;
}

export interface RenderOptions {
  /** The exporter's `namespace`: a prefix for every metric name. */
  readonly namespace: string;
  /** `const_labels`: put before each series' own attributes (an attribute of the same name wins). */
  readonly constantLabels: Readonly<Record<string, string>>;
}

/** One batch, rendered. */
export interface RenderedBatch {
  /** The batch's lines, family after family. */
  readonly text: string;
  /** Metric (descriptor) names in order of first appearance in the batch; `starts[i]..starts[i+1]` are family i's lines. */
  readonly families: readonly string[];
  readonly starts: Int32Array;
  /** The first descriptor of each family, for its header and kind. */
  readonly descriptors: readonly MetricDescriptor[];
  /** Sorted attribute-set keys of the batch's distinct attribute objects (a series can only collide through one). */
  readonly attributeKeys: ReadonlySet<string>;
  /** False when one metric name came with two kinds in this batch. */
  readonly regular: boolean;
}

/** Renders batches and family headers; keeps per-descriptor and per-attribute-object strings across batches. */
export class FragmentRenderer {
  private readonly names = new WeakMap<MetricDescriptor, string | null>();
  private readonly labels = new WeakMap<Attributes, string>();
  private readonly sortedKeys = new WeakMap<Attributes, string>();
  private readonly prefix: string;
  private readonly withConstants: boolean;

  constructor(private readonly options: RenderOptions) {
    this.prefix = options.namespace ? `${options.namespace}_` : '';
    this.withConstants = Object.keys(options.constantLabels).length > 0;
  }

  /** The exposed name, as the OTel serializer makes it; null when it would skip the metric. */
  exposedName(metric: MetricDescriptor): string | null {
    let name = this.names.get(metric);
    if (name === undefined) {
      name = this.prefix + sanitize(escapeString(metric.name));
      if (name === '' || name === '_') name = null;
      else {
        if (name[0]! >= '0' && name[0]! <= '9') name = `_${name}`;
        if (metric.kind === 'counter' && !name.endsWith('_total')) name += '_total';
      }
      this.names.set(metric, name);
    }
    return name;
  }

  header(metric: MetricDescriptor): string {
    const name = this.exposedName(metric)!;
    const type = metric.kind === 'gauge' && RESERVED_SUFFIX.test(name) ? 'untyped' : metric.kind;
    const unit = metric.unit ? `# UNIT ${name} ${escapeString(metric.unit)}\n` : '';
    return `# HELP ${name} ${escapeString(metric.description || 'description missing')}\n${unit}# TYPE ${name} ${type}\n`;
  }

  render(batch: Batch): RenderedBatch {
    const byName = new Map<string, { descriptor: MetricDescriptor; samples: Sample[] }>();
    const attributeKeys = new Set<string>();
    let regular = true;
    let lastAttributes: Attributes | undefined;
    for (const sample of batch.samples) {
      let family = byName.get(sample.metric.name);
      if (!family) byName.set(sample.metric.name, (family = { descriptor: sample.metric, samples: [] }));
      else if (family.descriptor.kind !== sample.metric.kind) regular = false;
      family.samples.push(sample);
      if (sample.attributes !== lastAttributes) {
        lastAttributes = sample.attributes;
        attributeKeys.add(this.sortedKey(lastAttributes));
      }
    }
    // Pieces joined once: a string built with += would stay a rope of every piece until first sliced.
    const pieces: string[] = [];
    let length = 0;
    const families: string[] = [];
    const descriptors: MetricDescriptor[] = [];
    const starts = new Int32Array(byName.size + 1);
    for (const [metricName, { descriptor, samples }] of byName) {
      starts[families.length] = length;
      families.push(metricName);
      descriptors.push(descriptor);
      const name = this.exposedName(descriptor);
      if (name === null) continue;
      for (const sample of samples) {
        const line = this.lines(name, sample);
        pieces.push(line);
        length += line.length;
      }
    }
    starts[families.length] = length;
    return { text: pieces.join(''), families, starts, descriptors, attributeKeys, regular };
  }

  private lines(name: string, sample: Sample): string {
    const labels = this.labelsOf(sample.attributes);
    const histogram = sample.histogram;
    if (!histogram) return `${name}${labels === '' ? '' : `{${labels}}`} ${valueString(sample.value)}\n`;
    const withLabels = (suffix: string, value: number, le?: string) => {
      const all = le === undefined ? labels : `${labels}${labels === '' ? '' : ','}le="${escapeLabelValue(le)}"`;
      return `${name}_${suffix}${all === '' ? '' : `{${all}}`} ${valueString(value)}\n`;
    };
    let text = withLabels('count', histogram.count) + withLabels('sum', histogram.sum);
    let cumulative = 0;
    let infinityBound = false;
    for (let i = 0; i < histogram.counts.length; i++) {
      cumulative += histogram.counts[i]!;
      const upper = histogram.boundaries[i];
      if (upper === undefined && infinityBound) break;
      if (upper === Infinity) infinityBound = true;
      text += withLabels('bucket', cumulative, upper === undefined || upper === Infinity ? '+Inf' : String(upper));
    }
    return text;
  }

  /** `k="v",...` in the order the OTel path would give: constant labels first, then the series' own. */
  private labelsOf(attributes: Attributes): string {
    let labels = this.labels.get(attributes);
    if (labels === undefined) {
      const merged = this.withConstants ? { ...this.options.constantLabels, ...attributes } : attributes;
      labels = Object.entries(merged)
        .map(([key, value]) => `${sanitize(key)}="${escapeLabelValue(value)}"`)
        .join(',');
      this.labels.set(attributes, labels);
    }
    return labels;
  }

  /** The key snapshotToScopeMetrics compares series by (sorted entries, constants not included). */
  private sortedKey(attributes: Attributes): string {
    let key = this.sortedKeys.get(attributes);
    if (key === undefined) {
      key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      this.sortedKeys.set(attributes, key);
    }
    return key;
  }
}

/**
 * The rendered batches of every source, in snapshot order, and the body assembled from them. The body is
 * assembled at most once per snapshot version (a batch put or a source forgotten) and shared by every scrape
 * until then.
 */
export class RenderedSnapshot {
  private readonly sources = new Map<string, RenderedBatch>();
  private readonly sharedKeys = new Map<string, number>();
  private irregular = 0;
  private collisions = 0;
  version = 0;

  constructor(readonly renderer: FragmentRenderer) {}

  put(batch: Batch): void {
    const previous = this.sources.get(batch.source);
    if (previous) this.forget(previous);
    if (batch.samples.length === 0) this.sources.delete(batch.source);
    else {
      const rendered = this.renderer.render(batch);
      this.remember(rendered);
      this.sources.set(batch.source, rendered);
    }
    this.version++;
  }

  clear(): void {
    this.sources.clear();
    this.sharedKeys.clear();
    this.irregular = this.collisions = 0;
    this.version++;
  }

  /** Whether the fast assembly gives what the OTel path would: no kind conflicts, no attribute set in two sources. */
  regularWith(extra: readonly RenderedBatch[]): boolean {
    if (this.irregular > 0 || this.collisions > 0) return false;
    for (const rendered of extra) {
      if (!rendered.regular) return false;
      for (const key of rendered.attributeKeys) if (this.sharedKeys.has(key)) return false;
    }
    return true;
  }

  /**
   * The families of every source (and of `extra`), family by family, without target_info; undefined when not
   * regular. `names` receives every metric name seen, so a later part can prove it adds only new families.
   */
  assemble(extra: readonly RenderedBatch[], names?: Set<string>): string | undefined {
    if (!this.regularWith(extra)) return undefined;
    const all = [...this.sources.values(), ...extra];
    const families = new Map<string, { descriptor: MetricDescriptor; parts: string[] }>();
    for (const rendered of all) {
      const { text, starts, families: names, descriptors } = rendered;
      for (let i = 0; i < names.length; i++) {
        let family = families.get(names[i]!);
        if (!family) families.set(names[i]!, (family = { descriptor: descriptors[i]!, parts: [] }));
        else if (family.descriptor.kind !== descriptors[i]!.kind) return undefined;
        if (starts[i + 1]! > starts[i]!) family.parts.push(text.slice(starts[i]!, starts[i + 1]!));
      }
    }
    const body: string[] = [];
    for (const [name, { descriptor, parts }] of families) {
      names?.add(name);
      if (parts.length === 0 || this.renderer.exposedName(descriptor) === null) continue;
      body.push(this.renderer.header(descriptor), ...parts);
    }
    return body.join('');
  }

  private remember(rendered: RenderedBatch): void {
    if (!rendered.regular) this.irregular++;
    for (const key of rendered.attributeKeys) {
      const sources = (this.sharedKeys.get(key) ?? 0) + 1;
      this.sharedKeys.set(key, sources);
      if (sources === 2) this.collisions++;
    }
  }

  private forget(rendered: RenderedBatch): void {
    if (!rendered.regular) this.irregular--;
    for (const key of rendered.attributeKeys) {
      const sources = this.sharedKeys.get(key)! - 1;
      if (sources === 1) this.collisions--;
      if (sources === 0) this.sharedKeys.delete(key);
      else this.sharedKeys.set(key, sources);
    }
  }
}
