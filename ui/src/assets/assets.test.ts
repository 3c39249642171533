import { describe, expect, it } from "vitest";
import {
  chosenModuleVersion,
  chosenVersion,
  dataOfStep,
  datasetKind,
  type DatasetLineageVersion,
  definitionPaths,
  type ModelVersion,
  type ModuleDetail,
  newestFirst,
  summarizeModels,
  unreadNote,
} from "./assets";

function model(name: string, version: number): ModelVersion {
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
    produced_by: null,
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

describe("dataOfStep", () => {
  const train = {
    step_run_id: "sr-train",
    step_name: "train",
    status: "Finished",
    read: [{ name: "clean", version: 1, id: "clean-1", input_name: "data", unregistered: false }],
    produced: [],
    models: [{ name: "churn", version: 1, unregistered: true }],
  };
  it("finds a step's part of its run's data by step-run id", () => {
    expect(dataOfStep([train], "sr-train")).toBe(train);
  });
  it("finds nothing for a step the run's data does not list", () => {
    expect(dataOfStep([train], "sr-prep")).toBeUndefined();
  });
});

describe("unreadNote", () => {
  it("says a step that never started read nothing", () => {
    expect(unreadNote("Canceled", null)).toBe("canceled before it ran: it read nothing");
    expect(unreadNote("NotStarted", undefined)).toBe("not started: it has read nothing yet");
  });
  it("says nothing of a step that started, even one canceled later", () => {
    expect(unreadNote("Canceled", "2026-12-05T10:00:00Z")).toBeNull();
    expect(unreadNote("Finished", "2026-12-05T10:00:00Z")).toBeNull();
    expect(unreadNote("Queued", null)).toBeNull();
  });
});
