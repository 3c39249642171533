import { GROUP_LABELS, groupReasons, type ReasonRow } from "./reasons";

const SIGNS: Record<ReasonRow["change"], string> = { changed: "~", added: "+", removed: "−", note: "•" };

function Row({ row }: { row: ReasonRow }) {
  const sides = row.before !== undefined || row.after !== undefined || row.change === "removed";
  return (
    <tr className={`reason ${row.change}`} data-change={row.change} title={row.text}>
      <td className="reason-subject">
        <span className="reason-sign" aria-label={row.change}>
          {SIGNS[row.change]}
        </span>
        <span className="mono">{row.subject}</span>
        {row.detail && <span className="muted reason-detail"> {row.detail}</span>}
        {!sides && row.change !== "note" && <span className="muted reason-detail"> {row.change}</span>}
      </td>
      <td className="diff-old mono">
        {(row.before !== undefined || row.change === "removed") && (
          <>
            <span className="diff-sign" aria-hidden="true">
              −
            </span>
            <span className="sr-only">was </span>
            {row.before ?? "(removed)"}
          </>
        )}
      </td>
      <td className="diff-new mono">
        {row.after !== undefined && (
          <>
            <span className="diff-sign" aria-hidden="true">
              +
            </span>
            <span className="sr-only">now </span>
            {row.after}
          </>
        )}
      </td>
    </tr>
  );
}

/** `duto why`'s sentences as a diff: one table per part of the fingerprint, old and new side by side, each
 * marked with a sign (− old, + new, ~ changed) as well as a colour. */
export function ReasonDiff({ reasons }: { reasons: string[] }) {
  return (
    <div className="reason-diff" data-testid="reason-diff">
      {groupReasons(reasons).map(([group, rows]) =>
        rows.every((row) => row.change === "note") ? (
          <ul key={group} className="reason-notes" data-group={group}>
            {rows.map((row) => (
              <li key={row.text}>{row.text}</li>
            ))}
          </ul>
        ) : (
        <section key={group} className="reason-group" data-group={group}>
          <h4 className="reason-group-title">
            <span className={`group-tag ${group}`}>{GROUP_LABELS[group]}</span>
            <span className="muted">
              {rows.length} {rows.length === 1 ? "difference" : "differences"}
            </span>
          </h4>
          <table className="table compact diff-table">
            <thead>
              <tr>
                <th>What</th>
                <th>Before</th>
                <th>Now</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <Row key={row.text} row={row} />
              ))}
            </tbody>
          </table>
        </section>
        ),
      )}
    </div>
  );
}
