// The re-submit form's values: each parameter's value as text to edit, and back to what the route takes (only the
// values changed, so the run's own stay as they were, typed as they were).

export type ParameterValues = Record<string, unknown>;

/** A value as the form shows it: text as it is, anything else as JSON. */
export function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The assignments of the values edited, split as the route takes them: a DataPath parameter (an object with a
 * datastore and a path) is edited as `datastore:path`; other values as text (the server reads numbers and booleans
 * from it). A value that does not read as a DataPath is an error naming the parameter. */
export function assignmentsOf(
  was: ParameterValues,
  edited: Record<string, string>,
): { ParameterAssignments: Record<string, string>; DataPathAssignments: Record<string, { DataStoreName: string; RelativePath: string }> } {
  const parameters: Record<string, string> = {};
  const paths: Record<string, { DataStoreName: string; RelativePath: string }> = {};
  for (const [name, text] of Object.entries(edited)) {
    const old = was[name];
    if (text === initialText(old)) continue;
    if (old !== null && typeof old === "object" && "datastore" in old && "path" in old) {
      const colon = text.indexOf(":");
      if (colon <= 0 || colon === text.length - 1) throw new Error(`${name}: write a DataPath as DATASTORE:PATH`);
      paths[name] = { DataStoreName: text.slice(0, colon), RelativePath: text.slice(colon + 1) };
    } else {
      parameters[name] = text;
    }
  }
  return { ParameterAssignments: parameters, DataPathAssignments: paths };
}

/** What a DataPath value looks like in the form. */
export function initialText(value: unknown): string {
  if (value !== null && typeof value === "object" && "datastore" in value && "path" in value) {
    const v = value as { datastore: string; path: string };
    return `${v.datastore}:${v.path}`;
  }
  return asText(value);
}
