/** Whether a run list is live: "live" while the workspace's event stream refreshes it, else how often it is
 * polled until the stream is back (`poll`, what `useLiveRunLists` returns). */
export function LiveMark({ poll }: { poll: number | false }) {
  return poll ? (
    <span className="live" title="the workspace's event stream is down: polled until it is back">
      refreshing every {poll / 1000} s
    </span>
  ) : (
    <span className="live" title="refreshed as runs start and change status">
      live
    </span>
  );
}
