// Reducing a long series to what a chart of some pixels wide can show, without losing its extremes: per pixel
// bucket the first, lowest, highest and last point (M4). The points kept are real points, never averages, so a
// hover over one shows a logged value. The data itself is kept whole; only the drawing is reduced.

export interface Points {
  x: number[];
  y: (number | null)[];
}

/** The index of the first x that is >= `value` in ascending `xs` (xs.length when none is). */
export function lowerBound(xs: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the x nearest to `value` in ascending `xs`; -1 for an empty series. */
export function nearestIndex(xs: ArrayLike<number>, value: number): number {
  if (xs.length === 0) return -1;
  const i = lowerBound(xs, value);
  if (i === 0) return 0;
  if (i === xs.length) return xs.length - 1;
  return value - xs[i - 1]! <= xs[i]! - value ? i - 1 : i;
}

/**
 * At most four points per bucket of `buckets` equal spans of x between `from` and `to` (the whole series by
 * default): each bucket's first, minimum, maximum and last, in x order. A series already short enough is
 * returned as it is (the points inside the range, plus one on each side so lines reach the edges).
 * `xs` must be ascending; null values (gaps) are skipped.
 */
export function downsample(
  xs: ArrayLike<number>,
  ys: ArrayLike<number | null>,
  buckets: number,
  from: number = xs.length ? xs[0]! : 0,
  to: number = xs.length ? xs[xs.length - 1]! : 0,
): Points {
  const start = Math.max(0, lowerBound(xs, from) - 1);
  const end = Math.min(xs.length, lowerBound(xs, to) + 2);
  const x: number[] = [];
  const y: (number | null)[] = [];
  if (end - start <= Math.max(4 * buckets, 4) || to <= from) {
    for (let i = start; i < end; i++) {
      x.push(xs[i]!);
      y.push(ys[i]!);
    }
    return { x, y };
  }
  const width = (to - from) / buckets;
  let i = start;
  while (i < end) {
    const bucket = Math.min(buckets - 1, Math.max(0, Math.floor((xs[i]! - from) / width)));
    let first = -1;
    let last = -1;
    let low = -1;
    let high = -1;
    for (; i < end; i++) {
      const b = Math.min(buckets - 1, Math.max(0, Math.floor((xs[i]! - from) / width)));
      if (b !== bucket) break;
      const v = ys[i]!;
      if (v === null || Number.isNaN(v)) continue;
      if (first < 0) first = i;
      last = i;
      if (low < 0 || v < (ys[low] as number)) low = i;
      if (high < 0 || v > (ys[high] as number)) high = i;
    }
    if (first < 0) continue;
    const kept = [...new Set([first, low, high, last])].sort((a, b) => a - b);
    for (const k of kept) {
      x.push(xs[k]!);
      y.push(ys[k]!);
    }
  }
  return { x, y };
}

/**
 * An exponential moving average with TensorBoard's debiasing, so the first points are not pulled toward zero:
 * `weight` 0 gives the series back, near 1 smooths the most. Nulls stay nulls and do not move the average.
 */
export function ema(ys: ArrayLike<number | null>, weight: number): (number | null)[] {
  const out: (number | null)[] = new Array(ys.length);
  if (weight <= 0) {
    for (let i = 0; i < ys.length; i++) out[i] = ys[i]!;
    return out;
  }
  let last = 0;
  let seen = 0;
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i]!;
    if (v === null || !Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    seen++;
    last = last * weight + (1 - weight) * v;
    out[i] = last / (1 - Math.pow(weight, seen));
  }
  return out;
}
