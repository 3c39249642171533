// The run page's server state: the run's outline (the run, its steps' statuses and times, its edges) and its
// metrics, cached by TanStack Query under ["run", id, ...] so that a live event can patch them in place.
import { useQuery, type QueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";

export type RunOutline = Schemas["RunOutline"];
export type StepOutline = Schemas["StepOutline"];

export const runKey = (id: string) => ["run", id] as const;
export const stepKey = (id: string, stepRunId: string) => ["run", id, "steps", stepRunId] as const;
/** The registered data the run's steps read and made (`GET /api/runs/{id}/data`), one answer for all its steps. */
export const runDataKey = (id: string) => ["run", id, "data"] as const;

/** The run as its page shows it, in one answer (`GET /api/runs/{id}/outline`): the graph, the timeline and the
 * header all read it. A finished run's answer is revalidated by its ETag, so a second visit costs a 304. */
export function useRunOutline(id: string) {
  return useQuery({
    queryKey: runKey(id),
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}/outline", { params: { path: { run_id: id } } })),
  });
}

export function useRunMetrics(id: string) {
  return useQuery({
    queryKey: ["run", id, "metrics"],
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}/metrics", { params: { path: { run_id: id } } })),
  });
}

/** The whole of one step (reason, exit code, compute target...), which the outline leaves out; nothing is read
 * for no step. */
export function useStep(id: string, stepRunId: string | undefined) {
  const step = stepRunId ?? "";
  return useQuery({
    queryKey: stepKey(id, step),
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}/steps/{step}", { params: { path: { run_id: id, step } } })),
    enabled: stepRunId !== undefined,
  });
}

/** A step's new status, written into the cached outline without asking the server; the step's own document and
 * the run's registered data (a step registers its outputs as it ends) are read again. */
export function patchStepStatus(client: QueryClient, runId: string, stepRunId: string, status: string, reused: boolean) {
  client.setQueryData<RunOutline>(runKey(runId), (run) =>
    run && {
      ...run,
      steps: run.steps.map((s) => (s.id === stepRunId ? { ...s, status, is_reused: s.is_reused || reused } : s)),
    },
  );
  void client.invalidateQueries({ queryKey: stepKey(runId, stepRunId) });
  void client.invalidateQueries({ queryKey: runDataKey(runId), exact: true });
}

/** The run's new status, in the cached outline. */
export function patchRunStatus(client: QueryClient, runId: string, status: string) {
  client.setQueryData<RunOutline>(runKey(runId), (run) => run && { ...run, status });
}
