// The workspace's run events (`GET /api/events`): every run's creation and status changes, over one EventSource,
// which the session cookie authenticates and which resumes after the last event id by itself. Pages that list runs
// refresh them on these events, and poll slowly only while the stream is down.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

export interface WorkspaceRunEvent {
  run_id: string;
  status: string;
  reason?: string;
  created_at: number;
}

const RETRY_MS = 30_000; // a stream the browser gave up on (a refusal, an answer that is not a stream) is tried again
const REFRESH_MS = 1000; // run lists are refetched at most this often, however many runs change at once
export const FALLBACK_POLL_MS = 30_000; // how often run lists are refetched while the stream is down

/** Follow the workspace's run events, calling `onRunEvent` for each; returns whether the stream is up (open, or
 * opening for the first time) rather than down since an error. */
export function useWorkspaceEvents(onRunEvent: (event: WorkspaceRunEvent) => void): boolean {
  const latest = useRef(onRunEvent);
  latest.current = onRunEvent;
  const [down, setDown] = useState(false);
  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      source = new EventSource("/api/events");
      source.onopen = () => setDown(false);
      source.onerror = () => {
        setDown(true);
        // CONNECTING: the browser comes back by itself, after the last id it had; CLOSED: it gave up.
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          retry = setTimeout(connect, RETRY_MS);
        }
      };
      source.addEventListener("run_status", (message: MessageEvent<string>) => {
        latest.current(JSON.parse(message.data) as WorkspaceRunEvent);
      });
    };
    connect();
    return () => {
      clearTimeout(retry);
      source?.close();
    };
  }, []);
  return !down;
}

/** `call` at most once every `ms`: at once when it has been quiet, else once at the end of the wait for all the
 * calls made during it. `cancel` drops a call still waiting. */
export function throttle(call: () => void, ms: number): { (): void; cancel: () => void } {
  let last = -Infinity;
  let waiting: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    waiting = undefined;
    last = Date.now();
    call();
  };
  const throttled = () => {
    if (waiting !== undefined) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else waiting = setTimeout(run, wait);
  };
  throttled.cancel = () => {
    clearTimeout(waiting);
    waiting = undefined;
  };
  return throttled;
}

/** Keep the run lists shown (queries keyed `["runs", ...]`) fresh: refetched when a run starts or changes status,
 * at most once a second. Returns the refetch interval they should poll at meanwhile: none while the stream is
 * up, FALLBACK_POLL_MS while it is down. */
export function useLiveRunLists(): number | false {
  const client = useQueryClient();
  const refresh = useRef<ReturnType<typeof throttle> | null>(null);
  useEffect(() => {
    const throttled = throttle(() => void client.invalidateQueries({ queryKey: ["runs"] }), REFRESH_MS);
    refresh.current = throttled;
    return () => throttled.cancel();
  }, [client]);
  const up = useWorkspaceEvents(() => refresh.current?.());
  const wasUp = useRef(true);
  useEffect(() => {
    if (up && !wasUp.current) refresh.current?.(); // back after a break: what changed meanwhile
    wasUp.current = up;
  }, [up]);
  return up ? false : FALLBACK_POLL_MS;
}
