import { useEffect, useRef } from "react";

/** Which metrics are columns: a menu of every metric among the runs, each a checkbox, kept in order picked. */
export function ColumnPicker({
  available,
  shown,
  onChange,
}: {
  available: readonly string[];
  shown: readonly string[];
  onChange: (picked: string[]) => void;
}) {
  const menu = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    // Close the menu on a click outside it, as a menu does.
    const close = (event: MouseEvent) => {
      if (menu.current && !menu.current.contains(event.target as Node)) menu.current.open = false;
    };
    document.addEventListener("click", close);
    return () => document.removeEventListener("click", close);
  }, []);
  const toggle = (name: string) =>
    onChange(shown.includes(name) ? shown.filter((n) => n !== name) : [...shown, name]);
  return (
    <details className="menu" ref={menu}>
      <summary className="button">
        Metrics <span className="count">{shown.length}</span>
      </summary>
      <div className="menu-body" role="group" aria-label="Metric columns">
        {available.length === 0 ? (
          <p className="muted">
            No metrics logged yet: <code>run.log("accuracy", 0.93)</code> in a step adds one.
          </p>
        ) : (
          available.map((name) => (
            <label key={name} className="check">
              <input type="checkbox" checked={shown.includes(name)} onChange={() => toggle(name)} />
              <span className="mono">{name}</span>
            </label>
          ))
        )}
      </div>
    </details>
  );
}
