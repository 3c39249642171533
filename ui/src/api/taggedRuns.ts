import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { useLiveRunLists } from "./workspaceEvents";

export const TAGGED_RUNS_SHOWN = 50;

/** The newest runs carrying `tag` ("key=value"), kept current as runs start and change status; `poll` is the
 * fallback poll's interval while the workspace's event stream is down (false while it is up). */
export function useTaggedRuns(tag: string) {
  const poll = useLiveRunLists();
  const runs = useQuery({
    queryKey: ["runs", { tag, limit: TAGGED_RUNS_SHOWN }],
    queryFn: () => unwrap(api.GET("/api/runs", { params: { query: { tag: [tag], limit: TAGGED_RUNS_SHOWN } } })),
    refetchInterval: poll,
  });
  return { runs, poll };
}
