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

/** What one step of a run read and made of registered data (`GET /api/runs/{id}/data`). */
export type StepRunData = Schemas["StepRunData"];

/** Step run `stepRunId`'s part of its run's data, or nothing: the run's answer lists only the steps that read or
 * registered some. */
export function dataOfStep(steps: readonly StepRunData[], stepRunId: string): StepRunData | undefined {
  return steps.find((s) => s.step_run_id === stepRunId);
}

/** Why a step's reads did not happen, when it never started: a read is recorded when the run is submitted, so a
 * step Canceled or NotStarted lists the versions it would have read. Nothing to say of a step that started. */
export function unreadNote(status: string, started: string | null | undefined): string | null {
  if (started) return null;
  if (status === "Canceled") return "canceled before it ran: it read nothing";
  if (status === "NotStarted") return "not started: it has read nothing yet";
  return null;
}
