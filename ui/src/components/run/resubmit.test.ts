import { describe, expect, it } from "vitest";
import { assignmentsOf, initialText } from "./resubmit";

describe("assignmentsOf", () => {
  const was = { lr: 0.1, name: "a", on: true, data: { datastore: "store", path: "raw/x.csv" } };

  it("sends only what was changed, a DataPath as its datastore and path", () => {
    const edited = { lr: "0.05", name: "a", on: "true", data: "other:raw/y.csv" };
    expect(assignmentsOf(was, edited)).toEqual({
      ParameterAssignments: { lr: "0.05" },
      DataPathAssignments: { data: { DataStoreName: "other", RelativePath: "raw/y.csv" } },
    });
  });

  it("sends nothing when nothing changed", () => {
    const edited = Object.fromEntries(Object.entries(was).map(([k, v]) => [k, initialText(v)]));
    expect(assignmentsOf(was, edited)).toEqual({ ParameterAssignments: {}, DataPathAssignments: {} });
  });

  it("names a DataPath parameter written without its datastore", () => {
    expect(() => assignmentsOf(was, { data: "raw/y.csv" })).toThrow("data: write a DataPath as DATASTORE:PATH");
  });
});
