/**
 * Prometheus remote write 1.0 on the wire: a `prometheus.WriteRequest` protobuf (only the
 * fields receivers read: series with their labels and samples), snappy block-compressed.
 * https://prometheus.io/docs/concepts/remote_write_spec/
 */
import protobuf from 'protobufjs';
import snappy from 'snappyjs';

const root = protobuf.parse(`
  syntax = "proto3";
  package prometheus;
  message WriteRequest { repeated TimeSeries timeseries = 1; }
  message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
  message Label { string name = 1; string value = 2; }
  message Sample { double value = 1; int64 timestamp = 2; }
`).root;
const writeRequestType = root.lookupType('prometheus.WriteRequest');

export interface Label {
  name: string;
  value: string;
}

/** One series and its sample. Labels include `__name__` and are sorted by name, as the spec requires. */
export interface Series {
  labels: Label[];
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** The HTTP headers every remote-write 1.0 request carries. */
export const writeRequestHeaders = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'vendorwatch/0.1',
};

/** A request body: the series encoded and compressed. */
export function encodeWriteRequest(series: readonly Series[]): Buffer {
  const message = {
    timeseries: series.map((s) => ({ labels: s.labels, samples: [{ value: s.value, timestamp: s.timestamp }] })),
  };
  return Buffer.from(snappy.compress(writeRequestType.encode(message).finish()));
}

/** The series in a request body (tests read back what was sent). */
export function decodeWriteRequest(body: Uint8Array): Series[] {
  const decoded = writeRequestType.toObject(writeRequestType.decode(snappy.uncompress(body)), { longs: Number, defaults: true }) as {
    timeseries: { labels: Label[]; samples: { value: number; timestamp: number }[] }[];
  };
  return decoded.timeseries.flatMap((t) => t.samples.map((s) => ({ labels: t.labels, value: s.value, timestamp: s.timestamp })));
}
