import type { Attributes, MetricDescriptor, Sample } from '../../core/batch.js';
import { PaletteSequence } from './palette.js';
import { sharedSequences } from './sequences.js';

/**
 * A source's series in order: the descriptor and attribute objects of its samples. Receivers reuse both across
 * probes, so a source's next batch usually has the same layout, and only its values are new. The descriptors are
 * interned (the same for every target of a version and role); the attributes are a palette of the source's few
 * attribute objects and interned indices into it.
 */
export class SeriesLayout {
  private constructor(
    readonly metrics: readonly MetricDescriptor[],
    readonly attributes: PaletteSequence<Attributes>,
  ) {}

  static of(samples: readonly Sample[]): SeriesLayout {
    return new SeriesLayout(
      sharedSequences.intern(samples.map((sample) => sample.metric)),
      PaletteSequence.of(samples, (sample) => sample.attributes),
    );
  }

  get length(): number {
    return this.metrics.length;
  }

  /** Whether `samples` have exactly these series, in this order (compared by identity). */
  matches(samples: readonly Sample[]): boolean {
    if (samples.length !== this.metrics.length) return false;
    const { palette, indices } = this.attributes;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i]!;
      if (sample.metric !== this.metrics[i] || sample.attributes !== palette[indices[i]!]) return false;
    }
    return true;
  }
}
