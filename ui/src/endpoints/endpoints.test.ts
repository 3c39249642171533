import { describe, expect, it } from "vitest";
import { chosenVersion, type Endpoint, endpointPath, newestFirst, runsTag, versionUrl } from "./endpoints";

const endpoint: Endpoint = {
  id: "5e1f0c2a-0000-4000-8000-000000000000",
  name: "train",
  description: null,
  status: "Active",
  default_version: "1",
  endpoint: "http://127.0.0.1:8642/api/endpoints/5e1f0c2a-0000-4000-8000-000000000000/runs",
  created: "2026-01-02T03:04:05+00:00",
  versions: [
    { version: "0", pipeline_id: "p0" },
    { version: "1", pipeline_id: "p1" },
    { version: "2", pipeline_id: "p2" },
  ],
};

describe("endpoints", () => {
  it("puts a plain name in the page's path, and the id for a name that is no path segment", () => {
    expect(endpointPath(endpoint)).toBe("/endpoints/train");
    expect(endpointPath({ ...endpoint, name: "nightly train" })).toBe("/endpoints/nightly%20train");
    expect(endpointPath({ ...endpoint, name: "team/train" })).toBe(`/endpoints/${endpoint.id}`);
    expect(endpointPath({ ...endpoint, name: ".." })).toBe(`/endpoints/${endpoint.id}`);
  });

  it("triggers the default at the endpoint's own URL and another version with ?pipelineVersion=", () => {
    expect(versionUrl(endpoint, "1")).toBe(endpoint.endpoint);
    expect(versionUrl(endpoint, "2")).toBe(`${endpoint.endpoint}?pipelineVersion=2`);
  });

  it("shows the version asked for when the endpoint has it, else the default", () => {
    expect(chosenVersion(endpoint, null)?.pipeline_id).toBe("p1");
    expect(chosenVersion(endpoint, "0")?.pipeline_id).toBe("p0");
    expect(chosenVersion(endpoint, "9")?.pipeline_id).toBe("p1");
  });

  it("lists versions newest first, past 9 too", () => {
    const many = { ...endpoint, versions: [...endpoint.versions, { version: "10", pipeline_id: "p10" }] };
    expect(newestFirst(many).map((v) => v.version)).toEqual(["10", "2", "1", "0"]);
  });

  it("finds the endpoint's runs by its tag", () => {
    expect(runsTag("abc")).toBe("pipeline_endpoint_id=abc");
  });
});
