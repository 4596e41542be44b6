/**
 * Prometheus remote write 1.0 on the wire: a `prometheus.WriteRequest` protobuf (prompb/remote.proto, types.proto),
 * block-compressed with snappy. Only the fields of 1.0 that carry samples are written:
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 */
import protobuf from 'protobufjs/minimal.js';
// A native addon (~7 MB of RSS): the exporter's implementation, this module with it, is imported only when a
// configuration uses it (factory.ts, src/core/lazy-module.ts).
import snappy from 'snappy';

/** Prometheus's staleness marker: a NaN with this exact bit pattern (value.StaleNaN). */
export const STALE_NAN_BITS = { high: 0x7ff00000, low: 0x00000002 } as const;

export interface RemoteSample {
  /** `undefined` is the staleness marker. */
  readonly value: number | undefined;
  readonly timestampMs: number;
}

export interface RemoteSeries {
  /** Sorted by name (byte order), `__name__` included, no empty values: as the spec requires. */
  readonly labels: readonly (readonly [string, string])[];
  readonly samples: readonly RemoteSample[];
}

const LENGTH_DELIMITED = 2;
const FIXED64 = 1;
const VARINT = 0;
const tag = (field: number, wireType: number) => (field << 3) | wireType;

export function encodeWriteRequest(series: readonly RemoteSeries[]): Uint8Array {
  const writer = protobuf.Writer.create();
  for (const one of series) {
    writer.uint32(tag(1, LENGTH_DELIMITED)).fork();
    for (const [name, value] of one.labels) {
      writer.uint32(tag(1, LENGTH_DELIMITED)).fork().uint32(tag(1, LENGTH_DELIMITED)).string(name).uint32(tag(2, LENGTH_DELIMITED)).string(value).ldelim();
    }
    for (const sample of one.samples) {
      writer.uint32(tag(2, LENGTH_DELIMITED)).fork();
      // The marker's NaN payload must survive exactly: written as its bits, never through a JS number.
      if (sample.value === undefined)
        writer.uint32(tag(1, FIXED64)).fixed64({ low: STALE_NAN_BITS.low, high: STALE_NAN_BITS.high, unsigned: true } as unknown as number);
      else writer.uint32(tag(1, FIXED64)).double(sample.value);
      writer.uint32(tag(2, VARINT)).int64(Math.trunc(sample.timestampMs));
      writer.ldelim();
    }
    writer.ldelim();
  }
  return writer.finish();
}

/** The request body: the encoded WriteRequest, snappy block format (not framed), as remote write 1.0 requires. */
export function compressWriteRequest(series: readonly RemoteSeries[]): Buffer {
  return snappy.compressSync(Buffer.from(encodeWriteRequest(series)));
}
