// A published pipeline's trigger form as plain functions: the form's fields from the pipeline's parameters, the
// REST body (Azure's keys) from what was typed, the form field a server error names, and the `curl` line.
import type { Schemas } from "../api/client";

export type Pipeline = Schemas["PublishedPipelineInfo"];
export type ParameterType = Pipeline["parameter_types"][string];
export type TriggerBody = Schemas["TriggerBody"];

/** What the form holds: text for each input, as typed. A DataPath parameter has two, `name.datastore` and
 * `name.path`; the experiment is `ExperimentName`. */
export type FormValues = Record<string, string>;
export const EXPERIMENT = "ExperimentName";

export interface Parameter {
  name: string;
  type: ParameterType;
  default: unknown;
}

/** The pipeline's parameters, sorted by name, each with its type (from the server, else from its default). */
export function parametersOf(pipeline: Pipeline): Parameter[] {
  return Object.keys(pipeline.parameters)
    .sort()
    .map((name) => {
      const value = pipeline.parameters[name];
      return { name, type: pipeline.parameter_types[name] ?? guessType(value), default: value };
    });
}

function guessType(value: unknown): ParameterType {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (value && typeof value === "object") return "datapath";
  return "string";
}

function dataPath(value: unknown): { datastore: string; path: string } {
  const found = (value ?? {}) as { datastore?: unknown; path?: unknown };
  return { datastore: String(found.datastore ?? ""), path: String(found.path ?? "") };
}

/** The form's first values: each parameter's default, and the experiment given (or empty). */
export function initialValues(parameters: readonly Parameter[], experiment = ""): FormValues {
  const values: FormValues = { [EXPERIMENT]: experiment };
  for (const p of parameters) {
    if (p.type === "datapath") {
      const { datastore, path } = dataPath(p.default);
      values[`${p.name}.datastore`] = datastore;
      values[`${p.name}.path`] = path;
    } else {
      values[p.name] = String(p.default ?? "");
    }
  }
  return values;
}

/** A typed value read from text, or the reason it cannot be one. */
function parse(type: ParameterType, text: string): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  if (type === "int") {
    return /^-?\d+$/.test(trimmed) ? { value: Number(trimmed) } : { error: "must be a whole number" };
  }
  if (type === "float") {
    const value = Number(trimmed);
    return trimmed !== "" && Number.isFinite(value) ? { value } : { error: "must be a number" };
  }
  if (type === "bool") {
    return trimmed === "true" || trimmed === "false" ? { value: trimmed === "true" } : { error: "must be true or false" };
  }
  return { value: text };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The REST body for the form's values, assigning only parameters changed from their defaults; or the errors
 * by form field, checked here before anything is sent (the server checks again and may name others). */
export function triggerBody(
  parameters: readonly Parameter[],
  values: FormValues,
): { body: TriggerBody; errors: null } | { body: null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const experiment = (values[EXPERIMENT] ?? "").trim();
  if (!experiment) errors[EXPERIMENT] = "is required: the experiment the run goes under";
  const assigned: Record<string, unknown> = {};
  const paths: Record<string, { DataStoreName: string; RelativePath: string }> = {};
  for (const p of parameters) {
    if (p.type === "datapath") {
      const datastore = (values[`${p.name}.datastore`] ?? "").trim();
      const path = (values[`${p.name}.path`] ?? "").trim();
      if (!datastore || !path) {
        errors[p.name] = "needs a datastore and a path";
      } else if (!same({ datastore, path }, dataPath(p.default))) {
        paths[p.name] = { DataStoreName: datastore, RelativePath: path };
      }
      continue;
    }
    const parsed = parse(p.type, values[p.name] ?? "");
    if ("error" in parsed) errors[p.name] = parsed.error;
    else if (!same(parsed.value, p.default)) assigned[p.name] = parsed.value;
  }
  if (Object.keys(errors).length > 0) return { body: null, errors };
  const body: TriggerBody = { ExperimentName: experiment };
  if (Object.keys(assigned).length > 0) body.ParameterAssignments = assigned;
  if (Object.keys(paths).length > 0) body.DataPathAssignments = paths;
  return { body, errors: null };
}

/** The form field a server error's `field` names: `ParameterAssignments.lr` and `DataPathAssignments.data.
 * DataStoreName` name a parameter, `ExperimentName` the experiment; anything else no field (null). */
export function formFieldOf(field: string | null | undefined, parameters: readonly Parameter[]): string | null {
  if (!field) return null;
  if (field === EXPERIMENT) return EXPERIMENT;
  const [section, name] = field.split(".");
  if ((section === "ParameterAssignments" || section === "DataPathAssignments") && name) {
    return parameters.some((p) => p.name === name) ? name : null;
  }
  return null;
}

/** JSON as Python's json.dumps writes it (`", "` and `": "` between parts), the way docs/server.md shows bodies. */
export function docsJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(docsJson).join(", ")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${docsJson(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

/** The `curl` line that triggers the pipeline with this body, as docs/server.md prints it, the token left as
 * `$TOKEN` for the caller's shell to fill in. */
export function curlLine(endpoint: string, body: TriggerBody): string {
  const data = docsJson(body).replaceAll("'", `'\\''`);
  return `curl -fsS -X POST "${endpoint}" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '${data}'`;
}
