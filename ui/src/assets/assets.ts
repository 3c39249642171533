// Registered datasets, models and modules as the pages show them: plain functions over what the API answers.
import type { Schemas } from "../api/client";

export type DatasetVersion = Schemas["DatasetVersionInfo"];
export type DatasetLineageVersion = Schemas["DatasetVersionLineage"];
export type ModelVersion = Schemas["ModelVersionInfo"];
export type Module = Schemas["ModuleInfo"];
export type ModuleDetail = Schemas["ModuleDetail"];
export type ModuleVersion = Schemas["ModuleVersionInfo"];

/** A registered model by name: its latest version, and how many it has. */
export interface ModelSummary {
  name: string;
  latest: ModelVersion;
  versions: number;
}

/** The models of `GET /api/models` (every version of each) as one row per name, at its latest version, by name. */
export function summarizeModels(versions: readonly ModelVersion[]): ModelSummary[] {
  const byName = new Map<string, ModelSummary>();
  for (const v of versions) {
    const known = byName.get(v.name);
    if (!known) byName.set(v.name, { name: v.name, latest: v, versions: 1 });
    else {
      known.versions += 1;
      if (v.version > known.latest.version) known.latest = v;
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** What a dataset's definition says it is: "file" or "tabular" (the definition's `type`), else "—". */
export function datasetKind(definition: Record<string, unknown>): string {
  const type = definition["type"];
  return typeof type === "string" && type ? type : "—";
}

/** The paths a dataset's definition reads, as text: `datastore:path` for a datastore's, else the path itself. */
export function definitionPaths(definition: Record<string, unknown>): string[] {
  const paths = definition["paths"];
  if (!Array.isArray(paths)) return [];
  return paths.map((p: unknown) => {
    if (typeof p === "string") return p;
    if (p && typeof p === "object") {
      const o = p as Record<string, unknown>;
      const where = o["path"] ?? o["local"] ?? o["url"] ?? o["pattern"];
      const store = o["datastore"];
      if (typeof where === "string") return typeof store === "string" ? `${store}:${where}` : where;
    }
    return JSON.stringify(p);
  });
}

/** The version a page shows: the one the URL's `?version=` asks for when there is such a version, else the
 * newest. `versions` need not be sorted. */
export function chosenVersion<T extends { version: number }>(versions: readonly T[], asked: string | null): T | undefined {
  const wanted = asked === null ? NaN : Number(asked);
  const found = versions.find((v) => v.version === wanted);
  if (found) return found;
  return versions.reduce<T | undefined>((newest, v) => (newest === undefined || v.version > newest.version ? v : newest), undefined);
}

/** Versions newest first, as a list of what changed reads best. */
export function newestFirst<T extends { version: number }>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => b.version - a.version);
}

/** A module's versions newest first: they are published in order, so the list reversed. */
export function modulesNewestFirst(module: ModuleDetail): ModuleVersion[] {
  return [...module.version_list].reverse();
}

/** The module version a page shows: the URL's `?version=` when the module has it, else the default, else the newest. */
export function chosenModuleVersion(module: ModuleDetail, asked: string | null): ModuleVersion | undefined {
  const list = module.version_list;
  return (
    list.find((v) => v.version === asked) ??
    list.find((v) => v.version === module.default_version) ??
    list[list.length - 1]
  );
}

/** A page's path by a registered name: one segment, encoded. */
export function assetPath(kind: "datasets" | "models" | "modules", name: string): string {
  return `/${kind}/${encodeURIComponent(name)}`;
}

/** What one step run did with registered data: the dataset versions it read (by input) and produced, and the
 * model versions it registered. */
export interface StepData {
  read: { name: string; version: number; input: string }[];
  produced: { name: string; version: number }[];
  models: { name: string; version: number }[];
}

/** Step run `stepRunId`'s registered data, found in the datasets' lineage and the models' versions. */
export function stepData(
  stepRunId: string,
  lineages: readonly (readonly DatasetLineageVersion[])[],
  models: readonly ModelVersion[],
): StepData {
  const found: StepData = { read: [], produced: [], models: [] };
  for (const versions of lineages) {
    for (const v of versions) {
      if (v.produced_by?.step_run_id === stepRunId) found.produced.push({ name: v.name, version: v.version });
      for (const c of v.consumed_by) {
        if (c.step_run_id === stepRunId) found.read.push({ name: v.name, version: v.version, input: c.input_name });
      }
    }
  }
  for (const m of models) {
    if (m.produced_by?.step_run_id === stepRunId) found.models.push({ name: m.name, version: m.version });
  }
  const byName = (a: { name: string; version: number }, b: { name: string; version: number }) =>
    a.name.localeCompare(b.name) || a.version - b.version;
  found.read.sort(byName);
  found.produced.sort(byName);
  found.models.sort(byName);
  return found;
}
