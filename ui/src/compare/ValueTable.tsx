import { useMemo, useState } from "react";
import type { Schemas } from "../api/client";
import { LINE_COLORS } from "../metrics/series";
import {
  bestOf,
  delta,
  differsFromBaseline,
  formatNumber,
  type Goal,
  groupRows,
  kindOf,
  lowerIsBetter,
  rowDecimals,
  shortName,
  showValue,
  tableRows,
} from "./values";

type Row = Schemas["ValueRow"];

const INLINE_ROWS = 4; // a table metric this small is shown whole in its cell; a bigger one behind "n rows"
const INLINE_COLUMNS = 4;
const SHOWN_ROWS = 200; // the most rows an opened table metric shows

/** A table metric: whole when small, else its size with the table behind a click. */
function TableValue({ table }: { table: Record<string, unknown[]> }) {
  const columns = Object.keys(table);
  const rows = tableRows(table);
  const body = (
    <table className="mini-table">
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {Array.from({ length: Math.min(rows, SHOWN_ROWS) }, (_, r) => (
          <tr key={r}>
            {columns.map((c) => {
              const cell = table[c]![r];
              return (
                <td key={c} className={typeof cell === "number" ? "num" : undefined}>
                  {cell === undefined ? "" : showValue(cell)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
  if (rows <= INLINE_ROWS && columns.length <= INLINE_COLUMNS) return body;
  return (
    <details className="table-value">
      <summary>
        {rows.toLocaleString("en-US")} rows × {columns.length} columns
      </summary>
      <div className="mini-table-box">
        {body}
        {rows > SHOWN_ROWS && <p className="muted">the first {SHOWN_ROWS} rows of {rows.toLocaleString("en-US")}</p>}
      </div>
    </details>
  );
}

function Cell({ row, index, decimals, best, lower, deltas }: {
  row: Row;
  index: number;
  decimals: number;
  best: boolean;
  lower: boolean;
  deltas: boolean;
}) {
  const value = row.values[index];
  const kind = kindOf(value, row.image);
  const apart = !row.image && row.differs && differsFromBaseline(row.values, index);
  const classes = ["value-cell", kind, apart ? "apart" : "", best ? "best" : ""].filter(Boolean).join(" ");
  let shown: React.ReactNode;
  switch (kind) {
    case "missing":
      shown = <span className="muted">—</span>;
      break;
    case "number": {
      const change = deltas && index > 0 ? delta(row.values[0], value) : "";
      shown = (
        <>
          {best && (
            <span className="best-mark" aria-label={lower ? "best (lowest)" : "best (highest)"} title={lower ? "lowest" : "highest"}>
              ★
            </span>
          )}
          {formatNumber(value as number, decimals)}
          {change && <span className="delta">{change}</span>}
        </>
      );
      break;
    }
    case "image":
      shown = (
        <a href={value as string} target="_blank" rel="noreferrer" title="open the image">
          <img className="thumb" src={value as string} alt={`${shortName(row.name)} of this run`} loading="lazy" />
        </a>
      );
      break;
    case "table":
      shown = <TableValue table={value as Record<string, unknown[]>} />;
      break;
    default:
      shown = (
        <span className="text-value" title={showValue(value)}>
          {showValue(value)}
        </span>
      );
  }
  return (
    <td className={classes} data-best={best || undefined}>
      {shown}
    </td>
  );
}

/** Names with their value in each run, in groups (a step's metrics under the step), sticky name column and header.
 * Numbers are rounded alike along a row and aligned right; the best of a metric's row is starred; a row that
 * differs between the runs is marked ≠, and each value that differs from the baseline's is set in bold. */
export function ValueTable({
  title,
  rows,
  runs,
  metrics = false,
  empty,
}: {
  title: string;
  rows: Row[];
  runs: Schemas["RunSummary"][];
  metrics?: boolean;
  empty: string;
}) {
  const [onlyDiffering, setOnlyDiffering] = useState(false);
  const [goal, setGoal] = useState<Goal>("auto");
  const differs = (row: Row) => row.differs && !row.image; // images are told apart by eye
  const differing = rows.filter(differs).length;
  const shown = onlyDiffering ? rows.filter(differs) : rows;
  const groups = useMemo(() => (metrics ? groupRows(shown) : [{ name: "", rows: shown }]), [metrics, shown]);
  const grouped = groups.length > 1 || (groups[0] && groups[0].name !== "run" && groups[0].name !== "");
  return (
    <section className="card" aria-label={title} data-testid={`compare-${title.toLowerCase()}`}>
      <header className="card-header">
        <h2>
          {title} <span className="count">{rows.length}</span>
          {differing > 0 && <span className="differ-count">≠ {differing} differ</span>}
        </h2>
        {rows.length > 0 && (
          <div className="table-controls">
            {metrics && (
              <label className="toggle" title="Which value of a row is starred as the best">
                Best
                <select className="input small" aria-label="Which value is best" value={goal} onChange={(e) => setGoal(e.target.value as Goal)}>
                  <option value="auto">by name (loss, error: lowest)</option>
                  <option value="higher">highest</option>
                  <option value="lower">lowest</option>
                </select>
              </label>
            )}
            <label className="toggle">
              <input type="checkbox" checked={onlyDiffering} onChange={(e) => setOnlyDiffering(e.target.checked)} />
              Only differing rows
            </label>
          </div>
        )}
      </header>
      {rows.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : shown.length === 0 ? (
        <p className="empty">Every {title.toLowerCase().replace(/s$/, "")} is the same in all these runs.</p>
      ) : (
        <div className="compare-scroll">
          <table className="table compare-table">
            <thead>
              <tr>
                <th className="name-col">Name</th>
                {runs.map((run, i) => (
                  <th key={run.id} className="num">
                    <span className="swatch" style={{ background: LINE_COLORS[i % LINE_COLORS.length] }} aria-hidden />
                    <span className="mono">{run.id.slice(0, 8)}</span>
                    {i === 0 && <span className="muted"> baseline</span>}
                  </th>
                ))}
              </tr>
            </thead>
            {groups.map((group) => (
              <tbody key={group.name}>
                {grouped && (
                  <tr className="group-row">
                    <th className="name-col" scope="rowgroup">
                      {group.name === "run" ? "the run itself" : `step ${group.name}`}
                    </th>
                    <td colSpan={runs.length} />
                  </tr>
                )}
                {group.rows.map((row) => {
                  const lower = lowerIsBetter(row.name, goal);
                  const best = metrics ? bestOf(row.values, lower) : [];
                  const decimals = rowDecimals(row.values);
                  return (
                    <tr key={row.name} className={differs(row) ? "differs" : undefined} data-differs={differs(row)} data-name={row.name}>
                      <th className="name-col mono" scope="row" title={row.name}>
                        <span className="differ-mark" aria-label={differs(row) ? "differs between the runs" : undefined}>
                          {differs(row) ? "≠" : ""}
                        </span>
                        {grouped ? shortName(row.name) : row.name}
                      </th>
                      {row.values.map((_, i) => (
                        <Cell key={i} row={row} index={i} decimals={decimals} best={best.includes(i)} lower={lower} deltas={metrics} />
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            ))}
          </table>
        </div>
      )}
    </section>
  );
}
