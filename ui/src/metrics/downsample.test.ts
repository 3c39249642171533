import { describe, expect, it } from "vitest";
import { downsample, ema, lowerBound, nearestIndex } from "./downsample";

function noisy(n: number): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    xs.push(i);
    ys.push(Math.sin(i / 500) + (seed / 2147483648 - 0.5));
  }
  return { xs, ys };
}

describe("downsample", () => {
  it("keeps a short series whole", () => {
    expect(downsample([0, 1, 2], [5, 6, 7], 100)).toEqual({ x: [0, 1, 2], y: [5, 6, 7] });
  });

  it("keeps 100,000 points to at most four a bucket, with every bucket's extremes and the global ones", () => {
    const { xs, ys } = noisy(100_000);
    ys[31_337] = 40; // a spike and a dip that any averaging would hide
    ys[77_001] = -40;
    const drawn = downsample(xs, ys, 800);
    expect(drawn.x.length).toBeLessThanOrEqual(4 * 800);
    expect(drawn.x.length).toBeGreaterThan(800);
    expect(Math.max(...(drawn.y as number[]))).toBe(40);
    expect(Math.min(...(drawn.y as number[]))).toBe(-40);
    expect(drawn.x).toContain(31_337);
    expect(drawn.x).toContain(77_001);
    expect(drawn.x[0]).toBe(0);
    expect(drawn.x[drawn.x.length - 1]).toBe(99_999);
    // Every bucket's own minimum and maximum are kept, and every kept point is a real point.
    const width = 99_999 / 800;
    for (let b = 0; b < 800; b += 37) {
      const inside = xs.filter((x) => Math.min(799, Math.floor(x / width)) === b);
      const values = inside.map((x) => ys[x]!);
      const kept = drawn.x.filter((x) => Math.min(799, Math.floor(x / width)) === b).map((x) => ys[x]!);
      expect(Math.min(...kept)).toBe(Math.min(...(values as number[])));
      expect(Math.max(...kept)).toBe(Math.max(...(values as number[])));
    }
    drawn.x.forEach((x, i) => expect(drawn.y[i]).toBe(ys[x]));
    const ascending = drawn.x.every((x, i) => i === 0 || x > drawn.x[i - 1]!);
    expect(ascending).toBe(true);
  });

  it("reduces only the visible range when zoomed, reaching one point past each edge", () => {
    const { xs, ys } = noisy(10_000);
    const drawn = downsample(xs, ys, 10, 5_000, 5_100);
    expect(drawn.x[0]).toBe(4_999);
    expect(drawn.x[drawn.x.length - 1]).toBe(5_101);
    expect(drawn.x.length).toBeLessThanOrEqual(4 * 10 + 2);
  });

  it("skips gaps", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((x) => (x % 2 ? null : x));
    const drawn = downsample(xs, ys, 10);
    expect(drawn.y.every((v) => v !== null)).toBe(true);
    expect(drawn.y).toContain(998);
  });
});

describe("nearestIndex", () => {
  it("finds the nearest x", () => {
    expect(lowerBound([0, 10, 20], 11)).toBe(2);
    expect(nearestIndex([0, 10, 20], 11)).toBe(1);
    expect(nearestIndex([0, 10, 20], 16)).toBe(2);
    expect(nearestIndex([0, 10, 20], -5)).toBe(0);
    expect(nearestIndex([0, 10, 20], 99)).toBe(2);
    expect(nearestIndex([], 1)).toBe(-1);
  });
});

describe("ema", () => {
  it("returns the series at weight 0 and smooths it toward its mean, unbiased at the start", () => {
    expect(ema([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const smoothed = ema([10, 0, 10, 0], 0.9) as number[];
    expect(smoothed[0]).toBeCloseTo(10);
    expect(Math.max(...smoothed.slice(1))).toBeLessThan(10);
    expect(ema([1, null, 3], 0.5)[1]).toBeNull();
  });
});
