// One metric drawn with uPlot: one line per series (a run, or the raw and smoothed values of one), every logged
// point held, only what is drawn reduced to the chart's pixels (downsample.ts). A hover reads the exact logged
// values from the whole series; dragging across zooms, a double click zooms back out.
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { downsample, ema, nearestIndex } from "./downsample";
import { useAppliedTheme } from "./useAppliedTheme";
import "./metrics.css";

export interface Line {
  label: string;
  xs: number[];
  ys: number[];
  color: string;
}

export interface ChartSettings {
  smoothing: number;
  logScale: boolean;
  xAxis: "step" | "time";
}

interface Hover {
  x: number;
  values: { label: string; color: string; x: number; y: number }[];
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e6)) return value.toExponential(4);
  return Number(value.toPrecision(6)).toString();
}

/** A y tick's label: every tick on a linear scale, only the powers of ten on a log one (uPlot gives the rest as
 * ticks for the grid, some as null). */
function yLabel(tick: number | null, log: boolean): string {
  if (tick == null) return "";
  if (log && Math.abs(Math.log10(tick) - Math.round(Math.log10(tick))) > 1e-9) return "";
  return formatNumber(tick);
}

function formatX(value: number, axis: ChartSettings["xAxis"]): string {
  return axis === "time" ? `${formatNumber(value)} s` : formatNumber(value);
}

/** Lines whose points go to uPlot: per line, its smoothed values (and raw ones, faint, when smoothed). */
function drawnData(lines: Line[], settings: ChartSettings, buckets: number, range?: [number, number]) {
  const shown = lines.map((line) => ({ ...line, smooth: ema(line.ys, settings.smoothing) }));
  const parts: uPlot.AlignedData[] = [];
  for (const line of shown) {
    const from = range?.[0];
    const to = range?.[1];
    if (settings.smoothing > 0) {
      const raw = downsample(line.xs, line.ys, buckets, from, to);
      const smooth = downsample(line.xs, line.smooth, buckets, from, to);
      parts.push([raw.x, raw.y] as uPlot.AlignedData, [smooth.x, smooth.y] as uPlot.AlignedData);
    } else {
      const raw = downsample(line.xs, line.ys, buckets, from, to);
      parts.push([raw.x, raw.y] as uPlot.AlignedData);
    }
  }
  const data = parts.length === 1 ? parts[0]! : uPlot.join(parts);
  if (settings.logScale) {
    for (let s = 1; s < data.length; s++) {
      const ys = data[s] as (number | null)[];
      for (let i = 0; i < ys.length; i++) if (ys[i] !== null && (ys[i] as number) <= 0) ys[i] = null;
    }
  }
  return data;
}

function cssVar(element: Element, name: string): string {
  return getComputedStyle(element).getPropertyValue(name).trim() || "#888";
}

/** A line chart of one metric; `data-points` is how many points it holds, `data-drawn` how many it draws and
 * `data-drawn-max` the highest of those (the reduction keeps extremes, so it is the series' own). */
export function MetricChart({
  title,
  lines,
  settings,
  height = 220,
  legend = false,
}: {
  title: string;
  lines: Line[];
  settings: ChartSettings;
  height?: number;
  /** name a lone line too (a step's, among charts whose other lines are other steps') */
  legend?: boolean;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const theme = useAppliedTheme();
  const [hover, setHover] = useState<Hover | null>(null);
  const [drawn, setDrawn] = useState(0);
  const [drawnMax, setDrawnMax] = useState<number | null>(null);
  const [renderMs, setRenderMs] = useState<number | null>(null);
  const points = useMemo(() => lines.reduce((sum, line) => sum + line.xs.length, 0), [lines]);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const started = performance.now();
    const width = Math.max(240, element.clientWidth);
    const smoothed = settings.smoothing > 0;
    const series: uPlot.Series[] = [{ label: settings.xAxis }];
    for (const line of lines) {
      if (smoothed) {
        series.push({ label: `${line.label} (raw)`, stroke: line.color, width: 1, alpha: 0.25, spanGaps: true });
      }
      series.push({ label: line.label, stroke: line.color, width: 1.5, spanGaps: true });
    }
    const grid = { stroke: cssVar(element, "--border"), width: 1 };
    const axis = { stroke: cssVar(element, "--text-muted"), grid, ticks: grid, font: "11px system-ui, sans-serif" };
    const count = (data: uPlot.AlignedData) => {
      let high = -Infinity;
      for (const ys of data.slice(1)) for (const y of ys) if (y != null && y > high) high = y;
      setDrawnMax(high);
      return data[0].length;
    };
    let zoomed: [number, number] | undefined;
    const data = drawnData(lines, settings, width, zoomed);
    const plot = new uPlot(
      {
        width,
        height,
        series,
        legend: { show: false },
        cursor: { drag: { x: true, y: false }, points: { size: 6 } },
        scales: { x: { time: false }, y: { distr: settings.logScale ? 3 : 1 } },
        axes: [
          { ...axis, values: (_u, ticks) => ticks.map((t) => formatX(t, settings.xAxis)) },
          { ...axis, size: 56, values: (_u, ticks) => ticks.map((t) => yLabel(t, settings.logScale)) },
        ],
        hooks: {
          setCursor: [
            (u) => {
              const left = u.cursor.left ?? -1;
              if (left < 0) {
                setHover(null);
                return;
              }
              const x = u.posToVal(left, "x");
              const values = lines.flatMap((line) => {
                const i = nearestIndex(line.xs, x);
                return i < 0 ? [] : [{ label: line.label, color: line.color, x: line.xs[i]!, y: line.ys[i]! }];
              });
              setHover({ x, values });
            },
          ],
          setSelect: [
            (u) => {
              if (u.select.width < 4) return;
              const from = u.posToVal(u.select.left, "x");
              const to = u.posToVal(u.select.left + u.select.width, "x");
              zoomed = [from, to];
              const next = drawnData(lines, settings, width, zoomed);
              u.setData(next, false);
              u.setScale("x", { min: from, max: to });
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              setDrawn(count(next));
            },
          ],
        },
      },
      data,
      element,
    );
    plot.over.addEventListener("dblclick", () => {
      zoomed = undefined;
      const whole = drawnData(lines, settings, width);
      plot.setData(whole, true);
      setDrawn(count(whole));
    });
    setDrawn(count(data));
    setRenderMs(performance.now() - started);
    const resize = new ResizeObserver(() => {
      const next = Math.max(240, element.clientWidth);
      if (Math.abs(next - plot.width) > 8) plot.setSize({ width: next, height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [lines, settings, height, theme]);

  return (
    <figure
      className="metric-chart"
      data-testid="metric-chart"
      data-metric={title}
      data-points={points}
      data-drawn={drawn}
      data-drawn-max={drawnMax ?? undefined}
      data-render-ms={renderMs === null ? undefined : renderMs.toFixed(1)}
    >
      <figcaption className="metric-chart-head">
        <h3 className="metric-chart-title">{title}</h3>
        <span className="muted metric-chart-note" title="points logged; the chart draws the extremes of each pixel">
          {points.toLocaleString()} points
        </span>
      </figcaption>
      {(lines.length > 1 || legend) && (
        <ul className="chart-legend">
          {lines.map((line) => (
            <li key={line.label}>
              <span className="swatch" style={{ background: line.color }} aria-hidden="true" />
              {line.label}
            </li>
          ))}
        </ul>
      )}
      <div className="metric-chart-plot" ref={holder} />
      <div className="metric-chart-readout mono" aria-live="polite">
        {hover && hover.values.length > 0 ? (
          hover.values.map((v) => (
            <span key={v.label}>
              <span className="swatch" style={{ background: v.color }} aria-hidden="true" />
              {lines.length > 1 ? `${v.label} ` : ""}
              {settings.xAxis} {formatX(v.x, settings.xAxis)}: <strong>{formatNumber(v.y)}</strong>
            </span>
          ))
        ) : (
          <span className="muted">Hover for exact values · drag to zoom · double-click to reset</span>
        )}
      </div>
    </figure>
  );
}
