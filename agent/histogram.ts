/**
 * Quantiles from histogram buckets, estimated the way Prometheus' histogram_quantile does: find the
 * bucket the rank falls in and interpolate linearly inside it (from 0 for the first bucket). A
 * rank in the overflow bucket answers the largest bound, since nothing is known above it.
 */

/**
 * The q-quantile (0 < q < 1) of observations counted per bucket: `counts[i]` observations fell at
 * or under `bounds[i]` and above the bound before; `counts[bounds.length]` above the last bound.
 * Undefined when there are no observations.
 */
export function bucketQuantile(bounds: readonly number[], counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const here = counts[i] ?? 0;
    if (below + here >= rank && here > 0) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (bounds[i]! - lower) * ((rank - below) / here);
    }
    below += here;
  }
  return bounds[bounds.length - 1];
}

/** Per-bucket counts from cumulative ones (Prometheus `le` buckets, +Inf last). */
export function perBucket(cumulative: readonly number[]): number[] {
  return cumulative.map((n, i) => n - (i === 0 ? 0 : cumulative[i - 1]!));
}

/** The index of the bucket a value falls in: the first bound at or above it, or `bounds.length` above the last. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  const found = bounds.findIndex((b) => value <= b);
  return found === -1 ? bounds.length : found;
}

/**
 * How many observations were at or under `threshold`, from per-bucket counts (as bucketQuantile
 * takes them): whole buckets below it, and inside the bucket it falls in a linear share, as
 * histogram_quantile assumes. Above the largest bound only observations up to that bound count.
 */
export function bucketCountAtOrBelow(bounds: readonly number[], counts: readonly number[], threshold: number): number {
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    if (bounds[i]! <= threshold) below += counts[i] ?? 0;
    else return below + (counts[i] ?? 0) * Math.max(0, (threshold - lower) / (bounds[i]! - lower));
  }
  return below;
}
