/**
 * Counters and histograms for beacon ingest, served by the same prom-client registry. One beacon
 * of a page with 150 resources makes some 200 observations; prom-client checks and hashes the
 * label set on every one, which cost more than everything else a beacon takes. Here the caller
 * looks a series up once per label set (`series`) and each observation is then a few additions;
 * the exposition (`get`, at scrape time) is prom-client's, from the same values prom-client
 * would hold: cumulative `le` buckets, `_sum` and `_count`.
 */
import type { Counter, Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string>;

/** As prom-client's configuration of a metric. */
interface LeanConfig<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers: Registry[];
}

/** What prom-client's registry reads from a metric at scrape time. */
interface Exposition {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

/** One label set's numbers: a counter's value, or a histogram's per-bucket counts (last: above every bound), sum and count. */
export interface Series<L extends string> {
  labels: Labels<L>;
  value: number;
  buckets: number[];
  sum: number;
}

abstract class LeanMetric<L extends string> {
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly L[];
  private readonly all = new Map<string, Series<L>>();

  constructor(
    config: LeanConfig<L>,
    private readonly bucketCount = 0,
  ) {
    ({ name: this.name, help: this.help, labelNames: this.labelNames = [] } = config);
    // A registry asks its metrics only for their name, get() and reset().
    for (const registry of config.registers) registry.registerMetric(this as unknown as Counter<L>);
  }

  /** The series of these labels, made on first use. */
  series(labels: Labels<L>): Series<L> {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    let found = this.all.get(key);
    if (!found) {
      found = { labels: { ...labels }, value: 0, buckets: new Array<number>(this.bucketCount).fill(0), sum: 0 };
      this.all.set(key, found);
    }
    return found;
  }

  reset(): void {
    this.all.clear();
  }

  protected values(): Iterable<Series<L>> {
    return this.all.values();
  }
}

export class LeanCounter<L extends string> extends LeanMetric<L> {
  readonly type = 'counter';

  inc(series: Series<L>, n = 1): void {
    series.value += n;
  }

  async get(): Promise<Exposition> {
    const values = [...this.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class LeanHistogram<L extends string> extends LeanMetric<L> {
  readonly type = 'histogram';

  readonly upperBounds: readonly number[];

  constructor(config: LeanConfig<L> & { buckets: readonly number[] }) {
    super(config, config.buckets.length + 1);
    this.upperBounds = config.buckets;
  }

  observe(series: Series<L>, value: number): void {
    let i = 0;
    while (i < this.upperBounds.length && value > this.upperBounds[i]!) i++;
    series.buckets[i]!++;
    series.sum += value;
    series.value++;
  }

  async get(): Promise<Exposition> {
    const values: Exposition['values'] = [];
    for (const s of this.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.upperBounds.length; i++) {
        cumulative += s.buckets[i]!;
        values.push({
          labels: { ...s.labels, le: i < this.upperBounds.length ? this.upperBounds[i]! : '+Inf' },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.value, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
