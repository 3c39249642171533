import type { ChartSettings } from "./MetricChart";

/** The settings every chart of a page shares: x axis, smoothing (an EMA weight) and a log scale for y. */
export function ChartControls({
  settings,
  onChange,
  canUseTime = true,
}: {
  settings: ChartSettings;
  onChange: (next: ChartSettings) => void;
  canUseTime?: boolean;
}) {
  return (
    <div className="chart-controls" role="group" aria-label="Chart settings">
      <label>
        X axis
        <select
          className="select"
          value={settings.xAxis}
          onChange={(e) => onChange({ ...settings, xAxis: e.target.value as ChartSettings["xAxis"] })}
        >
          <option value="step">Step</option>
          <option value="time" disabled={!canUseTime}>
            Time (s)
          </option>
        </select>
      </label>
      <label>
        Smoothing
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={settings.smoothing}
          aria-valuetext={settings.smoothing.toFixed(2)}
          onChange={(e) => onChange({ ...settings, smoothing: Number(e.target.value) })}
        />
        <span className="mono smoothing-value">{settings.smoothing.toFixed(2)}</span>
      </label>
      <label>
        <input
          type="checkbox"
          checked={settings.logScale}
          onChange={(e) => onChange({ ...settings, logScale: e.target.checked })}
        />
        Log scale
      </label>
    </div>
  );
}

export const DEFAULT_SETTINGS: ChartSettings = { smoothing: 0, logScale: false, xAxis: "step" };
