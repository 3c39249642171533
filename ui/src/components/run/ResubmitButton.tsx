import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { useAllows } from "../../session/scope";
import type { RunOutline } from "./queries";
import { assignmentsOf, initialText } from "./resubmit";

/** Re-submit: the run's pipeline started again (`POST /api/runs/{id}/resubmit`), its parameters as they were or
 * edited in a small form, and the new run opened. A session that may only read sees it disabled, saying why. */
export function ResubmitButton({ run }: { run: RunOutline }) {
  const canSubmit = useAllows("submit");
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const names = Object.keys(run.parameters).sort();
  const resubmit = useMutation({
    mutationFn: (body: ReturnType<typeof assignmentsOf>) =>
      unwrap(api.POST("/api/runs/{run_id}/resubmit", { params: { path: { run_id: run.id } }, body })),
    onSuccess: (started) => navigate(`/runs/${started.id}`),
    onError: (error) => setProblem(error.message),
  });
  const start = () => {
    setProblem(null);
    try {
      resubmit.mutate(assignmentsOf(run.parameters, values));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  if (!canSubmit) {
    return (
      <button type="button" className="button" disabled title="This session's token may only read: re-submit needs scope submit.">
        Re-submit
      </button>
    );
  }
  return (
    <div className="resubmit">
      <button
        type="button"
        className="button primary"
        aria-expanded={open}
        onClick={() => {
          setValues(Object.fromEntries(names.map((n) => [n, initialText(run.parameters[n])])));
          setProblem(null);
          setOpen(!open);
        }}
        title="Run this pipeline again, as frozen, with these parameters or edited ones"
      >
        Re-submit…
      </button>
      {open && (
        <form
          className="resubmit-form card"
          aria-label="Re-submit this run"
          onSubmit={(e) => {
            e.preventDefault();
            start();
          }}
        >
          <p className="muted">
            The same pipeline and code, under <strong>{run.experiment}</strong>; unchanged steps are reused.
          </p>
          {names.length === 0 && <p className="muted">This pipeline has no parameters.</p>}
          {names.map((name) => (
            <label key={name} className="resubmit-field">
              <span className="mono">{name}</span>
              <input
                className="input mono"
                value={values[name] ?? ""}
                onChange={(e) => setValues({ ...values, [name]: e.target.value })}
              />
            </label>
          ))}
          {problem && (
            <p className="notice" role="alert">
              {problem}
            </p>
          )}
          <div className="resubmit-actions">
            <button type="button" className="button quiet" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={resubmit.isPending}>
              {resubmit.isPending ? "Starting…" : "Start the run"}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
