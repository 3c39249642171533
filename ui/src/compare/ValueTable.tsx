import { useState } from "react";
import type { Schemas } from "../api/client";
import { LINE_COLORS } from "../metrics/series";
import { delta, showValue } from "./values";

/** Names with their value in each run; a row whose values differ is marked ≠ as well as tinted. */
export function ValueTable({
  title,
  rows,
  runs,
  deltas = false,
  empty,
}: {
  title: string;
  rows: Schemas["ValueRow"][];
  runs: Schemas["RunSummary"][];
  deltas?: boolean;
  empty: string;
}) {
  const [onlyDiffering, setOnlyDiffering] = useState(false);
  const differing = rows.filter((r) => r.differs).length;
  const shown = onlyDiffering ? rows.filter((r) => r.differs) : rows;
  return (
    <section className="card" aria-label={title} data-testid={`compare-${title.toLowerCase()}`}>
      <header className="card-header">
        <h2>
          {title} <span className="count">{rows.length}</span>
          {differing > 0 && <span className="differ-count">≠ {differing} differ</span>}
        </h2>
        {rows.length > 0 && (
          <label className="toggle">
            <input type="checkbox" checked={onlyDiffering} onChange={(e) => setOnlyDiffering(e.target.checked)} />
            Only differences
          </label>
        )}
      </header>
      {rows.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : (
        <div className="scroll-box wide">
          <table className="table compare-table">
            <thead>
              <tr>
                <th className="marker-col" aria-label="differs" />
                <th>Name</th>
                {runs.map((run, i) => (
                  <th key={run.id} className="num">
                    <span className="swatch" style={{ background: LINE_COLORS[i % LINE_COLORS.length] }} aria-hidden />
                    <span className="mono">{run.id.slice(0, 8)}</span>
                    {i === 0 && <span className="muted"> baseline</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.name} className={row.differs ? "differs" : undefined} data-differs={row.differs}>
                  <td className="marker-col">
                    {row.differs && (
                      <span className="differ-mark" title="differs between the runs">
                        ≠
                      </span>
                    )}
                  </td>
                  <td className="mono">{row.name}</td>
                  {row.values.map((value, i) => {
                    const change = deltas && i > 0 ? delta(row.values[0], value) : "";
                    const apart = i > 0 && row.differs && showValue(value) !== showValue(row.values[0]);
                    return (
                      <td key={i} className={`num mono${apart ? " apart" : ""}`}>
                        {showValue(value)}
                        {change && <span className="delta"> ({change})</span>}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
