// Which pipeline endpoints route to a published pipeline, and as which version: what the pipelines pages link to
// instead of listing endpoints themselves (the /endpoints pages do).
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import type { Endpoint } from "../endpoints/endpoints";

export interface EndpointVersion {
  endpoint: Endpoint;
  version: string;
  isDefault: boolean;
}

/** Each pipeline id with the endpoint versions that run it, endpoints by name. */
export function endpointsByPipeline(endpoints: Endpoint[]): Map<string, EndpointVersion[]> {
  const found = new Map<string, EndpointVersion[]>();
  for (const endpoint of [...endpoints].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const v of endpoint.versions) {
      const entry = { endpoint, version: v.version, isDefault: v.version === endpoint.default_version };
      found.set(v.pipeline_id, [...(found.get(v.pipeline_id) ?? []), entry]);
    }
  }
  return found;
}

/** The workspace's endpoints, as the /endpoints page reads them (one cache entry). */
export function useEndpoints() {
  return useQuery({
    queryKey: ["endpoints"],
    queryFn: () => unwrap(api.GET("/api/endpoints", { params: { query: { active_only: false } } })),
  });
}
