import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { ReasonDiff } from "../../why/ReasonDiff";
import type { StepPartProps } from "./StepMetrics";
import "./step.css";

/** Why the step ran, as the diff `duto why` prints, or which earlier step run it was reused from. */
export function StepWhy({ runId, stepId }: StepPartProps) {
  const query = useQuery({
    queryKey: ["step-why", runId, stepId],
    queryFn: () =>
      unwrap(api.GET("/api/runs/{run_id}/steps/{step}/why", { params: { path: { run_id: runId, step: stepId } } })),
  });
  if (query.isPending) return <p className="muted">Loading…</p>;
  if (query.isError) return <p className="notice">Why could not be read: {query.error.message}</p>;
  const why = query.data;
  const origin = why.reused_from as { run_id?: string | null; step?: string; deleted?: boolean } | null;
  return (
    <div className="step-why" data-testid="step-why" data-reused={why.is_reused}>
      {why.is_reused ? (
        <p className="why-verdict reused">
          <span className="verdict-mark" aria-hidden="true">
            ↺
          </span>
          <span>
            <strong>Reused</strong> the outputs of step <span className="mono">{origin?.step ?? why.name}</span> of run{" "}
            {origin?.run_id && !origin.deleted ? (
              <Link className="mono" to={`/runs/${origin.run_id}`}>
                {origin.run_id.slice(0, 12)}
              </Link>
            ) : (
              <span className="mono">{origin?.run_id?.slice(0, 12) ?? "?"} (deleted)</span>
            )}
            : its fingerprint was the same, so nothing it depends on changed.
          </span>
        </p>
      ) : (
        <p className="why-verdict ran">
          <span className="verdict-mark" aria-hidden="true">
            ▶
          </span>
          <span>
            <strong>Ran</strong>{" "}
            {why.reasons.length === 1 ? "for one reason" : `for ${why.reasons.length} reasons`}, compared with the
            previous run of this step:
          </span>
        </p>
      )}
      {!why.is_reused && why.reasons.length > 0 && <ReasonDiff reasons={why.reasons} />}
      {why.fingerprint && (
        <p className="muted why-fingerprint">
          Fingerprint <code title={why.fingerprint}>{why.fingerprint.slice(0, 16)}</code>
        </p>
      )}
      {why.components != null && (
        <details className="why-components">
          <summary>Fingerprint parts</summary>
          <pre>
            <code>{JSON.stringify(why.components, null, 2)}</code>
          </pre>
        </details>
      )}
    </div>
  );
}
