/**
 * Prometheus text exposition rendered when a target's batch arrives, not when it is scraped.
 *
 * Of each batch only what changes is rendered: the value text of each line (`1234\n`), family by family, with
 * the offset where each family's values start. What does not change with the values — each line's name and label
 * set `{k="v",...} ` — lives in the source's plan (made once per layout, shared by its renderings): names once per
 * descriptor, label sets once per attribute object. A scrape assembles the body family by family (one
 * `# HELP`/`# TYPE` header, then that family's lines from every source in snapshot order, each line written as
 * name + labels + value), so families stay contiguous as the exposition format requires, and never formats a
 * number. Families that cannot be split that way (histograms: several lines per sample) are rendered whole.
 *
 * The output is byte-identical to `PrometheusSerializer` of `@opentelemetry/exporter-prometheus` fed by
 * `snapshotToScopeMetrics` (proven by test/exporters/prometheus/rendering.test.ts). Snapshots where that
 * serializer's conflict rules would drop samples (one metric name with two kinds, one series from two
 * sources, or one series twice in a batch) are not "regular": the exporter then renders them through the OTel path, which also reports them.
 */
import type { Attributes, Batch, MetricDescriptor, Sample } from '../../core/batch.js';
import { SeriesLayout } from '../../internal/interning/series-layout.js';
import { sharedSequences } from '../../internal/interning/sequences.js';
import { prometheusLabelName, sanitizePrometheusName, startsWithDigit } from '../../internal/prometheus/names.js';

const escapeString = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (text: string): string => escapeString(text).replace(/"/g, '\\"');
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

/**
 * How a sequence of descriptors groups into families (in order of first appearance): the same for every source
 * whose batches have that sequence, so it is made once and shared (a target of a 3.8 server has ~490 families).
 */
export interface Families {
  /** Sample indices, line by line: family by family; null when that is the samples' own order (as from mntr). */
  readonly order: Int32Array | null;
  /** Where each family's lines start in `order` (one more entry: the end). */
  readonly familyLines: Int32Array;
  /** Metric (descriptor) names in order of first appearance. */
  readonly families: readonly string[];
  /** The first descriptor of each family, for its header and kind. */
  readonly descriptors: readonly MetricDescriptor[];
  /** Each family's exposed name (null: the family is not exposed, nothing of it is rendered). */
  readonly names: readonly (Buffer | null)[];
  /** 1 for a family rendered as whole lines (histograms: several lines per sample), 0 for name + labels + value. */
  readonly whole: Uint8Array;
  /** False when one metric name comes with two kinds. */
  readonly oneKindPerName: boolean;
}

function groupFamilies(metrics: readonly MetricDescriptor[], exposedName: (metric: MetricDescriptor) => Buffer | null): Families {
  const byName = new Map<string, { descriptor: MetricDescriptor; indices: number[]; whole: boolean }>();
  let oneKindPerName = true;
  for (let i = 0; i < metrics.length; i++) {
    const metric = metrics[i]!;
    let family = byName.get(metric.name);
    if (!family) byName.set(metric.name, (family = { descriptor: metric, indices: [], whole: false }));
    else if (family.descriptor.kind !== metric.kind) oneKindPerName = false;
    family.indices.push(i);
    // A histogram sample is several lines (Sample.histogram is set exactly for this kind).
    if (metric.kind === 'histogram') family.whole = true;
  }
  const order = new Int32Array(metrics.length);
  let line = 0;
  let ordered = true;
  const familyLines = new Int32Array(byName.size + 1);
  const whole = new Uint8Array(byName.size);
  const families: string[] = [];
  const descriptors: MetricDescriptor[] = [];
  const names: (Buffer | null)[] = [];
  for (const [metricName, family] of byName) {
    whole[families.length] = family.whole ? 1 : 0;
    for (const index of family.indices) {
      if (index !== line) ordered = false;
      order[line++] = index;
    }
    familyLines[families.length + 1] = line;
    families.push(metricName);
    descriptors.push(family.descriptor);
    names.push(exposedName(family.descriptor));
  }
  return { order: ordered ? null : order, familyLines, families, descriptors, names, whole, oneKindPerName };
}

/**
 * How one source's batch is laid out, and the bytes its lines have besides their values; valid for a later batch
 * with the same descriptors and attributes in the same order, and never changed (a pinned capture reads it). Its
 * families (the fields of `Families`) are shared with every source of the same descriptors; its labels are its own.
 */
export interface Plan extends Families {
  /** The series the plan was made for: a later batch is compared with them (the samples themselves are not kept). */
  readonly series: SeriesLayout;
  /** The label bytes of each of the source's attribute objects (its series' palette): `{k="v",...} ` or a lone space. */
  readonly labelSets: readonly Buffer[];
  /** Each line's index in `labelSets`, in `order`'s order; shared by the sources of the same pattern. */
  readonly labelOf: readonly number[];
  /**
   * The bytes of the lines of the families before family i besides their values: their names and labels (none
   * for a whole or unexposed family). One more entry: all of them.
   */
  readonly fixedBefore: Int32Array;
  /** Sorted attribute-set keys of the batch's distinct attribute objects (a series can only collide through one). */
  readonly attributeKeys: ReadonlySet<string>;
  /** False when one metric name came with two kinds in this batch, or one series came twice. */
  readonly regular: boolean;
}

/** One batch, rendered: its values; the rest of its lines is its plan's. */
export interface RenderedBatch {
  readonly plan: Plan;
  /**
   * The allocation, off the JS heap (the garbage collector never scans it): `starts` at its beginning, then the
   * value text of each line (`value\n`), family after family (a whole family's lines entire). The source's next
   * rendering writes into it again when nothing reads it and it fits.
   */
  readonly bytes: Buffer;
  /**
   * Where family i's lines would start if the names and labels were rendered too, so that its length in a body is
   * `starts[i+1] - starts[i]` (arithmetic, as for whole renderings); its values start at `starts[i] -
   * plan.fixedBefore[i]` in `bytes`. A view of the beginning of `bytes`.
   */
  readonly starts: Int32Array;
}

/**
 * Up to this many bytes are copied by hand, longer ones with Uint8Array.prototype.set (a V8 builtin, no view made,
 * unlike Buffer.copy). Measured on Node 20: set costs ~15-20 ns whatever the length, the loop ~1 ns a byte.
 */
const SHORT_COPY = 24;

/** Copies a name or a label set into `target`; returns the new offset. */
function copyInto(target: Buffer, at: number, source: Buffer): number {
  if (source.length > SHORT_COPY) target.set(source, at);
  else for (let i = 0; i < source.length; i++) target[at + i] = source[i]!;
  return at + source.length;
}

/** Writes `valueString(value)` as ASCII; integers digit by digit, without making a string. Returns the new offset. */
function writeNumber(target: Buffer, at: number, value: number): number {
  if (Number.isInteger(value) && value < 1e15 && value > -1e15) {
    // -0 prints as "0", as `${-0}` does.
    if (value < 0) {
      target[at++] = 45;
      value = -value;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    for (let i = digits - 1; i >= 0; i--) {
      target[at + i] = 48 + (value % 10);
      value = Math.floor(value / 10);
    }
    return at + digits;
  }
  const text = valueString(value);
  for (let i = 0; i < text.length; i++) target[at + i] = text.charCodeAt(i);
  return at + text.length;
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
      name = this.prefix + sanitizePrometheusName(escapeString(metric.name));
      if (name === '' || name === '_') name = null;
      else {
        if (startsWithDigit(name)) name = `_${name}`;
        if (metric.kind === 'counter' && !name.endsWith('_total')) name += '_total';
      }
      this.names.set(metric, name);
    }
    return name;
  }

  private readonly headers = new WeakMap<MetricDescriptor, Buffer>();

  /** The family's `# HELP`/`# UNIT`/`# TYPE` lines, encoded once per descriptor. */
  headerBytes(metric: MetricDescriptor): Buffer {
    let bytes = this.headers.get(metric);
    if (!bytes) this.headers.set(metric, (bytes = Buffer.from(this.header(metric))));
    return bytes;
  }

  header(metric: MetricDescriptor): string {
    const name = this.exposedName(metric)!;
    const type = metric.kind === 'gauge' && RESERVED_SUFFIX.test(name) ? 'untyped' : metric.kind;
    const unit = metric.unit ? `# UNIT ${name} ${escapeString(metric.unit)}\n` : '';
    return `# HELP ${name} ${escapeString(metric.description || 'description missing')}\n${unit}# TYPE ${name} ${type}\n`;
  }

  /** Per source: how its last batch was laid out, reused while its series come in the same order. */
  private readonly plans = new Map<string, Plan>();
  private readonly nameBytes = new WeakMap<MetricDescriptor, Buffer>();
  private readonly labelBytes = new WeakMap<Attributes, Buffer>();
  /** Where values are written before being copied out at their exact size; grows as needed, never shrinks. */
  private scratch = Buffer.allocUnsafe(16 * 1024);
  private familyStarts = new Int32Array(256);

  /** Forgets a source's layout (its source was forgotten). */
  forget(source: string): void {
    this.plans.delete(source);
  }

  /**
   * `reuse`: the source's previous rendering, which nothing reads any more; its memory is written into again when
   * the new rendering fits, so a steady source allocates no new memory outside the JS heap (freed buffers would
   * only be returned at the next full collection).
   */
  render(batch: Batch, reuse?: RenderedBatch, series?: SeriesLayout): RenderedBatch {
    const samples = batch.samples;
    let plan = this.plans.get(batch.source);
    // `series`: the layout the caller already matched the batch with (the exporter's snapshot shares it).
    if (!plan || (series ? plan.series !== series : !plan.series.matches(samples))) {
      plan = this.plan(samples, series ?? SeriesLayout.of(samples));
      this.plans.set(batch.source, plan);
    }
    const { order, familyLines, names, whole, fixedBefore } = plan;
    const families = plan.families.length;
    if (this.familyStarts.length <= families) this.familyStarts = new Int32Array(2 * (families + 1));
    const familyStarts = this.familyStarts;
    let at = 0;
    for (let f = 0; f < families; f++) {
      familyStarts[f] = at;
      if (names[f] === null) continue;
      const end = familyLines[f + 1]!;
      if (whole[f]) {
        for (let o = familyLines[f]!; o < end; o++) {
          const sample = samples[order ? order[o]! : o]!;
          const text = this.lines(this.exposedName(sample.metric)!, sample);
          this.reserve(at, Buffer.byteLength(text));
          at += this.scratch.write(text, at);
        }
        continue;
      }
      // A value prints in at most 25 bytes ("-0.000001234567890123456"), then its newline.
      this.reserve(at, 32 * (end - familyLines[f]!));
      const scratch = this.scratch;
      for (let o = familyLines[f]!; o < end; o++) {
        at = writeNumber(scratch, at, samples[order ? order[o]! : o]!.value);
        scratch[at++] = 10;
      }
    }
    familyStarts[families] = at;
    const valuesAt = 4 * (families + 1);
    let bytes: Buffer;
    let starts: Int32Array;
    if (reuse && reuse.bytes.length >= valuesAt + at) {
      bytes = reuse.bytes;
      starts = reuse.starts.length === families + 1 ? reuse.starts : new Int32Array(bytes.buffer, bytes.byteOffset, families + 1);
    } else {
      // Headroom: the next batch's values may print a few bytes longer. Its own ArrayBuffer, at offset 0 (aligned).
      bytes = Buffer.allocUnsafeSlow(valuesAt + at + (at >> 3));
      starts = new Int32Array(bytes.buffer, bytes.byteOffset, families + 1);
    }
    for (let f = 0; f <= families; f++) starts[f] = valuesAt + familyStarts[f]! + fixedBefore[f]!;
    this.scratch.copy(bytes, valuesAt, 0, at);
    return { plan, bytes, starts };
  }

  private reserve(at: number, bytes: number): void {
    if (at + bytes <= this.scratch.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, at + bytes));
    this.scratch.copy(grown, 0, 0, at);
    this.scratch = grown;
  }

  /** How each (interned) descriptor sequence groups into families: one answer for every source that has it. */
  private readonly familiesBySequence = new WeakMap<readonly MetricDescriptor[], Families>();

  /** The families of `series` (shared with every source of the same descriptors), and the bytes of this source's labels. */
  private plan(samples: readonly Sample[], series: SeriesLayout): Plan {
    let families = this.familiesBySequence.get(series.metrics);
    if (!families) this.familiesBySequence.set(series.metrics, (families = groupFamilies(series.metrics, (metric) => this.nameBytesOf(metric))));
    const { order, familyLines, names, whole } = families;
    const { palette, indices } = series.attributes;
    const labelSets = palette.map((attributes) => this.labelBytesOf(attributes));
    const keys = palette.map((attributes) => this.sortedKey(attributes));
    const labelOf = order ? sharedSequences.intern(Array.from(order, (index) => indices[index]!)) : indices;
    const fixedBefore = new Int32Array(names.length + 1);
    let regular = families.oneKindPerName;
    // Plans are made when a source's layout changes, not per batch: this check is not on the steady path.
    const seen = new Set<string>();
    for (let f = 0; f < names.length; f++) {
      const name = names[f];
      let bytes = 0;
      for (let line = familyLines[f]!; line < familyLines[f + 1]!; line++) {
        const slot = labelOf[line]!;
        if (name) bytes += name.length + labelSets[slot]!.length;
        // One series twice in a batch: the OTel path may drop the second (once another source has the metric).
        const seriesKey = `${samples[order ? order[line]! : line]!.metric.name}\u0000${keys[slot]}`;
        if (seen.has(seriesKey)) regular = false;
        seen.add(seriesKey);
      }
      fixedBefore[f + 1] = fixedBefore[f]! + (whole[f] ? 0 : bytes);
    }
    return { ...families, series, labelSets, labelOf, fixedBefore, attributeKeys: new Set(keys), regular };
  }

  private nameBytesOf(metric: MetricDescriptor): Buffer | null {
    const name = this.exposedName(metric);
    if (name === null) return null;
    let bytes = this.nameBytes.get(metric);
    if (!bytes) this.nameBytes.set(metric, (bytes = Buffer.from(name)));
    return bytes;
  }

  /** `{k="v",...} ` (or a lone space): what follows the name on each of the series' lines. */
  private labelBytesOf(attributes: Attributes): Buffer {
    let bytes = this.labelBytes.get(attributes);
    if (!bytes) {
      const labels = this.labelsOf(attributes);
      this.labelBytes.set(attributes, (bytes = Buffer.from(labels === '' ? ' ' : `{${labels}} `)));
    }
    return bytes;
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
        .map(([key, value]) => `${prometheusLabelName(key)}="${escapeLabelValue(value)}"`)
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

/** Which pieces make each family of a body: the families in order, each one's header and (source, family index) pairs. */
export interface Layout {
  /** Metric names in order of first appearance over the sources in snapshot order. */
  readonly names: readonly string[];
  /** Each family's header; undefined when the family is not exposed (nothing of it is written). */
  readonly headers: readonly (Buffer | undefined)[];
  /** Per family: source index, family index within that source, source index, ... */
  readonly pieces: readonly Int32Array[];
}

/**
 * One consistent view of the snapshot for assembly: its rendered sources and their layout. While it is pinned,
 * no source's rendering is written into again, so an assembly spread over several event-loop turns reads the
 * bytes of one moment even when batches arrive meanwhile.
 */
export interface Capture {
  readonly sources: readonly RenderedBatch[];
  readonly layout: Layout;
  readonly version: number;
}

/** The layout of `sources` (in order); undefined when one metric name comes with two kinds. */
function layoutOf(sources: readonly RenderedBatch[], renderer: FragmentRenderer): Layout | undefined {
  const families = new Map<string, { descriptor: MetricDescriptor; pieces: number[] }>();
  for (let source = 0; source < sources.length; source++) {
    const { families: familyNames, descriptors } = sources[source]!.plan;
    for (let i = 0; i < familyNames.length; i++) {
      let family = families.get(familyNames[i]!);
      if (!family) families.set(familyNames[i]!, (family = { descriptor: descriptors[i]!, pieces: [] }));
      else if (family.descriptor.kind !== descriptors[i]!.kind) return undefined;
      // A family whose name is not exposed renders no lines: it has no pieces, hence no header.
      if (renderer.exposedName(descriptors[i]!) !== null) family.pieces.push(source, i);
    }
  }
  const names: string[] = [];
  const headers: (Buffer | undefined)[] = [];
  const pieces: Int32Array[] = [];
  for (const [name, family] of families) {
    names.push(name);
    headers.push(family.pieces.length === 0 ? undefined : renderer.headerBytes(family.descriptor));
    pieces.push(Int32Array.from(family.pieces));
  }
  return { names, headers, pieces };
}

/** Bytes of families `from`..`to` (exclusive) of `capture`. */
export function familiesLength(capture: Capture, from: number, to: number): number {
  const { sources, layout } = capture;
  let total = 0;
  for (let f = from; f < to; f++) {
    const header = layout.headers[f];
    if (!header) continue;
    total += header.length;
    const pieces = layout.pieces[f]!;
    for (let p = 0; p < pieces.length; p += 2) {
      const starts = sources[pieces[p]!]!.starts;
      const i = pieces[p + 1]!;
      total += starts[i + 1]! - starts[i]!;
    }
  }
  return total;
}

/**
 * Copies families `from`..`to` (exclusive) of `capture` into `target` at `at`; returns the new offset. Each line
 * is written as its family's name, its labels (both from the source's plan) and its value text (from the
 * rendering, up to and with its newline).
 *
 * Source by source, not family by family: each family's place in `target` is known from the lengths, so the
 * values of one source (contiguous in its rendering, in family order) are read in one sweep and written to as
 * many sequential streams as there are families. Family by family, every one-line piece came from another
 * source's memory: at 1,000+ targets the renderings no longer fit in the CPU caches and each piece was a cache
 * and TLB miss (measured ~10x slower per byte at 5,000 targets than at 200). Names are shared by all sources and
 * a source's few label sets by its lines, so they stay in the caches.
 */
export function copyFamilies(capture: Capture, from: number, to: number, target: Buffer, at: number): number {
  const copy = new FamiliesCopy(capture, from, to, target, at);
  copy.copySources(capture.sources.length);
  return copy.end;
}

/**
 * copyFamilies in steps of consecutive sources, so that a chunk of a large body is copied over several turns of
 * the event loop without being made smaller (a smaller chunk would read each source's values in more sweeps).
 */
export class FamiliesCopy {
  /** The offset in the target after the families. */
  readonly end: number;
  /** Where each family's next piece goes (-1: a family not exposed), and which of its pieces comes next (pieces are in source order). */
  private readonly cursors: Int32Array;
  private readonly next: Int32Array;
  private source = 0;

  constructor(
    private readonly capture: Capture,
    private readonly from: number,
    to: number,
    private readonly target: Buffer,
    at: number,
  ) {
    const { layout } = capture;
    this.cursors = new Int32Array(to - from);
    this.next = new Int32Array(to - from);
    for (let f = from; f < to; f++) {
      const header = layout.headers[f];
      if (!header) {
        this.cursors[f - from] = -1;
        continue;
      }
      at += header.copy(target, at);
      this.cursors[f - from] = at;
      at += familiesLength(capture, f, f + 1) - header.length;
    }
    this.end = at;
  }

  /** Every source's lines are copied. */
  get done(): boolean {
    return this.source >= this.capture.sources.length;
  }

  /** Copies the lines of the next `count` sources (fewer when fewer remain). */
  copySources(count: number): void {
    const { capture, from, target, cursors, next } = this;
    const { sources, layout } = capture;
    const families = cursors.length;
    const last = Math.min(sources.length, this.source + count);
    for (let source = this.source; source < last; source++) {
      const { plan, bytes, starts } = sources[source]!;
      const { names, labelSets, labelOf, familyLines, whole, fixedBefore } = plan;
      for (let k = 0; k < families; k++) {
        const pieces = layout.pieces[from + k]!;
        const p = next[k]!;
        if (cursors[k]! < 0 || p >= pieces.length || pieces[p] !== source) continue;
        next[k] = p + 2;
        const i = pieces[p + 1]!;
        let out = cursors[k]!;
        let v = starts[i]! - fixedBefore[i]!;
        if (whole[i]) {
          const end = starts[i + 1]! - fixedBefore[i]!;
          target.set(bytes.subarray(v, end), out);
          out += end - v;
        } else {
          const name = names[i]!;
          const lastLine = familyLines[i + 1]!;
          for (let line = familyLines[i]!; line < lastLine; line++) {
            out = copyInto(target, copyInto(target, out, name), labelSets[labelOf[line]!]!);
            // The value, up to and with its newline: a few bytes, copied by hand.
            let byte: number;
            do {
              byte = bytes[v++]!;
              target[out++] = byte;
            } while (byte !== 10);
          }
        }
        cursors[k] = out;
      }
    }
    this.source = last;
  }
}

/**
 * The rendered batches of every source, in snapshot order. A body is assembled from a capture of them: the
 * layout (which source's lines go where) is computed once per layout change (a source added or forgotten, or
 * one whose series changed), not per batch, so a steady snapshot only copies bytes.
 */
export class RenderedSnapshot {
  private readonly sources = new Map<string, RenderedBatch>();
  private readonly sharedKeys = new Map<string, number>();
  private irregular = 0;
  private collisions = 0;
  /** Bumped on every change; `layoutVersion` only when the layout may have changed. */
  version = 0;
  private layoutVersion = 0;
  private layout: { version: number; layout: Layout | undefined } | undefined;
  /** Captures being assembled: while any is, renderings are written into new memory, never into a captured one. */
  private pins = 0;

  constructor(readonly renderer: FragmentRenderer) {}

  /** `series`: the batch's layout, when the caller has matched it already (see FragmentRenderer.render). */
  put(batch: Batch, series?: SeriesLayout): void {
    const previous = this.sources.get(batch.source);
    const rendered = this.renderer.render(batch, this.pins === 0 ? previous : undefined, series);
    this.sources.set(batch.source, rendered);
    // The renderer keeps a source's plan while its series stay the same: the same key set (the counts stand, no
    // per-key bookkeeping per batch on the steady path) and the same families (the same layout).
    if (previous?.plan !== rendered.plan) {
      if (previous) this.unremember(previous.plan);
      this.remember(rendered.plan);
      this.layoutVersion++;
    }
    this.version++;
  }

  /** The source is gone: its lines leave the body. */
  forget(source: string): void {
    const previous = this.sources.get(source);
    if (!previous) return;
    this.unremember(previous.plan);
    this.sources.delete(source);
    this.renderer.forget(source);
    this.layoutVersion++;
    this.version++;
  }

  clear(): void {
    this.sources.clear();
    this.sharedKeys.clear();
    this.irregular = this.collisions = 0;
    this.version++;
    this.layoutVersion++;
  }

  /** Whether the fast assembly gives what the OTel path would: no kind conflicts, no attribute set in two sources. */
  regularWith(extra: readonly RenderedBatch[]): boolean {
    if (this.irregular > 0 || this.collisions > 0) return false;
    for (const rendered of extra) {
      if (!rendered.plan.regular) return false;
      for (const key of rendered.plan.attributeKeys) if (this.sharedKeys.has(key)) return false;
    }
    return true;
  }

  /** The sources now (then `extra`) and their layout; undefined when not regular. Call `pin` to read it over several turns. */
  capture(extra: readonly RenderedBatch[] = []): Capture | undefined {
    if (!this.regularWith(extra)) return undefined;
    const sources = extra.length === 0 ? [...this.sources.values()] : [...this.sources.values(), ...extra];
    let layout: Layout | undefined;
    if (extra.length > 0) layout = layoutOf(sources, this.renderer);
    else {
      if (this.layout?.version !== this.layoutVersion) this.layout = { version: this.layoutVersion, layout: layoutOf(sources, this.renderer) };
      layout = this.layout.layout;
    }
    return layout && { sources, layout, version: this.version };
  }

  /** Keeps every current rendering unwritten until the returned release is called (once). */
  pin(): () => void {
    this.pins++;
    let released = false;
    return () => {
      if (!released) this.pins--;
      released = true;
    };
  }

  /**
   * `prefix`, then the families of every source (and of `extra`), family by family; undefined when not regular.
   * `names` receives every metric name seen, so a later part can prove it adds only new families. The body is
   * copied once into one buffer: no string of it is ever built.
   */
  assemble(extra: readonly RenderedBatch[], names?: Set<string>, prefix = ''): Buffer | undefined {
    const capture = this.capture(extra);
    if (!capture) return undefined;
    const families = capture.layout.names.length;
    for (const name of capture.layout.names) names?.add(name);
    const body = Buffer.allocUnsafe(Buffer.byteLength(prefix) + familiesLength(capture, 0, families));
    copyFamilies(capture, 0, families, body, body.write(prefix));
    return body;
  }

  private remember(plan: Plan): void {
    if (!plan.regular) this.irregular++;
    for (const key of plan.attributeKeys) {
      const sources = (this.sharedKeys.get(key) ?? 0) + 1;
      this.sharedKeys.set(key, sources);
      if (sources === 2) this.collisions++;
    }
  }

  private unremember(plan: Plan): void {
    if (!plan.regular) this.irregular--;
    for (const key of plan.attributeKeys) {
      const sources = this.sharedKeys.get(key)! - 1;
      if (sources === 1) this.collisions--;
      if (sources === 0) this.sharedKeys.delete(key);
      else this.sharedKeys.set(key, sources);
    }
  }
}
