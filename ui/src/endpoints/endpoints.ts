// A pipeline endpoint's pages as plain functions: the path of its page, the trigger URL of one of its versions,
// the version a page shows, and the tags that name the runs triggered through it.
import type { Schemas } from "../api/client";

export type Endpoint = Schemas["EndpointInfo"];
export type Version = Endpoint["versions"][number];

/** The tags the server puts on a run triggered through an endpoint: its id, and the version that ran. */
export const ENDPOINT_TAG = "pipeline_endpoint_id";
export const VERSION_TAG = "pipeline_endpoint_version";

/** The `tag` filter of `GET /api/runs` that finds the runs triggered through the endpoint `id`. */
export function runsTag(id: string): string {
  return `${ENDPOINT_TAG}=${id}`;
}

/** The path of an endpoint's page: by its name, which reads well in the address bar, unless the name cannot
 * stand as one segment of a path (one with a `/`, or `.` and `..`, which browsers fold away); then by its id,
 * which the server takes as well. */
export function endpointPath(endpoint: Pick<Endpoint, "id" | "name">): string {
  const { name } = endpoint;
  const plain = !name.includes("/") && name !== "." && name !== "..";
  return `/endpoints/${encodeURIComponent(plain ? name : endpoint.id)}`;
}

/** The URL a POST triggers `version` at: the endpoint's own for its default (which runs whatever is the default
 * when it is called), else that URL with `?pipelineVersion=`. */
export function versionUrl(endpoint: Endpoint, version: string): string {
  if (version === endpoint.default_version) return endpoint.endpoint;
  return `${endpoint.endpoint}?pipelineVersion=${encodeURIComponent(version)}`;
}

/** The version a page shows: the one asked for (the URL's `?version=`) when the endpoint has it, else the
 * default. */
export function chosenVersion(endpoint: Endpoint, asked: string | null): Version | undefined {
  const wanted = asked ?? endpoint.default_version;
  const { versions } = endpoint;
  return versions.find((v) => v.version === wanted) ?? versions.find((v) => v.version === endpoint.default_version);
}

/** The versions newest first, as a list of what changed reads best. */
export function newestFirst(endpoint: Endpoint): Version[] {
  return [...endpoint.versions].sort((a, b) => Number(b.version) - Number(a.version));
}
