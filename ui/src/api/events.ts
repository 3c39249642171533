// A run's server-sent events (`GET /api/runs/{id}/events`): the browser's EventSource, which the session cookie
// authenticates and which resumes after the last event id by itself; closed once the run has ended.
import { useEffect, useRef } from "react";

export interface RunEvent {
  step_run_id: string | null;
  status?: string;
  reused_from?: string | null;
  [field: string]: unknown;
}

export type RunEventHandlers = Partial<Record<"run_status" | "step_status" | "log" | "metric", (event: RunEvent) => void>>;

const FINAL = new Set(["Finished", "Failed", "Canceled"]);

/** Follow the run `runId` while `live`, calling the handler of each event's kind. */
export function useRunEvents(runId: string, live: boolean, handlers: RunEventHandlers): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!live) return;
    const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
    const listen = (kind: keyof RunEventHandlers) => (message: MessageEvent<string>) => {
      const event = JSON.parse(message.data) as RunEvent;
      latest.current[kind]?.(event);
      if (kind === "run_status" && event.status && FINAL.has(event.status)) source.close();
    };
    const kinds: (keyof RunEventHandlers)[] = ["run_status", "step_status", "log", "metric"];
    const listeners = kinds.map((kind) => [kind, listen(kind)] as const);
    for (const [kind, listener] of listeners) source.addEventListener(kind, listener);
    return () => source.close();
  }, [runId, live]);
}
