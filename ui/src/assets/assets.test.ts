import { describe, expect, it } from "vitest";
import {
  chosenModuleVersion,
  chosenVersion,
  datasetKind,
  type DatasetLineageVersion,
  definitionPaths,
  type ModelVersion,
  type ModuleDetail,
  newestFirst,
  stepData,
  summarizeModels,
} from "./assets";

function model(name: string, version: number, stepRunId: string | null = null): ModelVersion {
  return {
    id: `${name}-${version}`,
    name,
    version,
    file_name: "model.pkl",
    digest: "blake3:abc",
    description: null,
    tags: {},
    properties: {},
    framework: null,
    created_at: "2026-12-05T10:00:00",
    produced_by: stepRunId ? { pipeline_run_id: "run-1", step_run_id: stepRunId, step_name: "train" } : null,
    datasets: [],
  };
}

function datasetVersion(version: number, extra: Partial<DatasetLineageVersion> = {}): DatasetLineageVersion {
  return {
    id: `clean-${version}`,
    name: "clean",
    version,
    digest: "blake3:def",
    single_file: null,
    definition: { type: "file", paths: [] },
    description: null,
    tags: {},
    created_at: "2026-12-05T10:00:00",
    produced_by: null,
    consumed_by: [],
    models: [],
    ...extra,
  };
}

describe("summarizeModels", () => {
  it("gives one row per name at its latest version, with how many versions, by name", () => {
    const rows = summarizeModels([model("zeta", 1), model("churn", 2), model("churn", 3), model("churn", 1)]);
    expect(rows.map((r) => [r.name, r.latest.version, r.versions])).toEqual([
      ["churn", 3, 3],
      ["zeta", 1, 1],
    ]);
  });
});

describe("versions", () => {
  const versions = [datasetVersion(1), datasetVersion(3), datasetVersion(2)];
  it("picks the version the URL asks for, else the newest", () => {
    expect(chosenVersion(versions, "2")?.version).toBe(2);
    expect(chosenVersion(versions, null)?.version).toBe(3);
    expect(chosenVersion(versions, "9")?.version).toBe(3);
    expect(chosenVersion(versions, "two")?.version).toBe(3);
    expect(chosenVersion([], null)).toBeUndefined();
  });
  it("lists them newest first", () => {
    expect(newestFirst(versions).map((v) => v.version)).toEqual([3, 2, 1]);
  });
  it("picks a module's asked version, else its default, else its newest", () => {
    const v = (version: string) => ({ id: version, version }) as ModuleDetail["version_list"][number];
    const module = { default_version: "1", version_list: [v("1"), v("2")] } as ModuleDetail;
    expect(chosenModuleVersion(module, "2")?.version).toBe("2");
    expect(chosenModuleVersion(module, null)?.version).toBe("1");
    expect(chosenModuleVersion({ ...module, default_version: null }, "7")?.version).toBe("2");
  });
});

describe("definitions", () => {
  it("reads a definition's kind and paths, whatever the path's source", () => {
    const definition = {
      type: "file",
      paths: [{ datastore: "lake", path: "raw/**" }, { local: "/data/a.csv" }, { url: "https://h/x.csv" }],
    };
    expect(datasetKind(definition)).toBe("file");
    expect(datasetKind({})).toBe("—");
    expect(definitionPaths(definition)).toEqual(["lake:raw/**", "/data/a.csv", "https://h/x.csv"]);
    expect(definitionPaths({ type: "file" })).toEqual([]);
  });
});

describe("stepData", () => {
  it("finds what a step read, produced and registered", () => {
    const lineage = [
      datasetVersion(1, {
        consumed_by: [{ pipeline_run_id: "run-1", step_run_id: "sr-train", step_name: "train", input_name: "data" }],
      }),
      datasetVersion(2, { produced_by: { pipeline_run_id: "run-1", step_run_id: "sr-prep", step_name: "prep" } }),
    ];
    const models = [model("churn", 1, "sr-train"), model("churn", 2, "sr-other")];
    expect(stepData("sr-train", [lineage], models)).toEqual({
      read: [{ name: "clean", version: 1, input: "data" }],
      produced: [],
      models: [{ name: "churn", version: 1 }],
    });
    expect(stepData("sr-prep", [lineage], models)).toEqual({ read: [], produced: [{ name: "clean", version: 2 }], models: [] });
  });
});
