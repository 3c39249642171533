import { describe, expect, it } from "vitest";
import {
  curlLine,
  docsJson,
  EXPERIMENT,
  formFieldOf,
  initialValues,
  type Pipeline,
  parametersOf,
  triggerBody,
} from "./trigger";

const pipeline = {
  id: "p1",
  name: "train",
  description: null,
  version: null,
  status: "Active",
  endpoint: "http://127.0.0.1:8642/api/pipelines/p1/runs",
  parameters: { lr: 1.0, epochs: 3, shuffle: true, note: "x", data: { datastore: "blob", path: "day/1" } },
  parameter_types: { lr: "float", epochs: "int", shuffle: "bool", note: "string", data: "datapath" },
  continue_on_step_failure: false,
  created: "2026-06-10T11:00:00+00:00",
  source_run_id: null,
  steps: ["train.py"],
} satisfies Pipeline;

const parameters = parametersOf(pipeline);

describe("the form", () => {
  it("has a typed field per parameter, a float default of 1.0 still a float", () => {
    expect(parameters.map((p) => [p.name, p.type])).toEqual([
      ["data", "datapath"],
      ["epochs", "int"],
      ["lr", "float"],
      ["note", "string"],
      ["shuffle", "bool"],
    ]);
    expect(initialValues(parameters, "nightly")).toEqual({
      ExperimentName: "nightly",
      "data.datastore": "blob",
      "data.path": "day/1",
      epochs: "3",
      lr: "1",
      note: "x",
      shuffle: "true",
    });
  });

  it("sends only what changed from the defaults, typed", () => {
    const values = { ...initialValues(parameters, "nightly"), lr: "0.05", shuffle: "false", "data.path": "day/2" };
    expect(triggerBody(parameters, values)).toEqual({
      body: {
        ExperimentName: "nightly",
        ParameterAssignments: { lr: 0.05, shuffle: false },
        DataPathAssignments: { data: { DataStoreName: "blob", RelativePath: "day/2" } },
      },
      errors: null,
    });
    expect(triggerBody(parameters, initialValues(parameters, "nightly")).body).toEqual({ ExperimentName: "nightly" });
  });

  it("names each field that is wrong before sending anything", () => {
    const values = { ...initialValues(parameters), epochs: "2.5", lr: "fast", "data.path": "" };
    expect(triggerBody(parameters, values).errors).toEqual({
      [EXPERIMENT]: "is required: the experiment the run goes under",
      epochs: "must be a whole number",
      lr: "must be a number",
      data: "needs a datastore and a path",
    });
  });

  it("puts a server error next to the field it names", () => {
    expect(formFieldOf("ParameterAssignments.lr", parameters)).toBe("lr");
    expect(formFieldOf("DataPathAssignments.data.DataStoreName", parameters)).toBe("data");
    expect(formFieldOf("ExperimentName", parameters)).toBe(EXPERIMENT);
    expect(formFieldOf("ParameterAssignments.nosuch", parameters)).toBeNull();
    expect(formFieldOf(null, parameters)).toBeNull();
  });
});

describe("the curl line", () => {
  it("is the line docs/server.md prints, with $TOKEN for the token", () => {
    const body = { ExperimentName: "nightly", ParameterAssignments: { lr: 0.05 } };
    expect(curlLine("http://127.0.0.1:8642/api/pipelines/p1/runs", body)).toBe(
      `curl -fsS -X POST "http://127.0.0.1:8642/api/pipelines/p1/runs" -H "Authorization: Bearer $TOKEN" ` +
        `-H "Content-Type: application/json" -d '{"ExperimentName": "nightly", "ParameterAssignments": {"lr": 0.05}}'`,
    );
  });

  it("quotes a single quote for the shell and writes JSON as Python does", () => {
    expect(docsJson({ a: [1, "b"], c: { d: null } })).toBe('{"a": [1, "b"], "c": {"d": null}}');
    expect(curlLine("u", { ExperimentName: "it's" })).toContain(`-d '{"ExperimentName": "it'\\''s"}'`);
  });
});
