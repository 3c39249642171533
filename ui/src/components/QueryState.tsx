import { useEffect, useState } from "react";

/** What a section shows while its data loads, or why it could not. */
export function QueryState({ error }: { error: Error | null }) {
  return error ? (
    <p className="loading error-text" role="alert">
      Could not load this: {error.message}
    </p>
  ) : (
    <p className="loading">Loading…</p>
  );
}

/** The time now (ms), updated every `everyMs`: for "5 min ago" and running durations. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
