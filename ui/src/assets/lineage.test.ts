import { describe, expect, it } from "vitest";
import { buildLineage, datasetNodeId, modelLineage, modelNodeId } from "./lineage";

const prep = { pipeline_run_id: "run-one-1234", step_run_id: "sr-prep", step_name: "prep" };
const train = { pipeline_run_id: "run-two-5678", step_run_id: "sr-train", step_name: "train" };

describe("buildLineage", () => {
  it("joins a dataset's producer, its readers and the model made through the step that read it", () => {
    const graph = buildLineage(
      {
        datasets: [
          { name: "clean", version: 2, produced_by: prep, consumed_by: [{ ...train, input_name: "data" }], models: [{ name: "clf", version: 1 }] },
        ],
        models: [{ name: "clf", version: 1, produced_by: train, datasets: [{ name: "clean", version: 2 }] }],
      },
      datasetNodeId({ name: "clean", version: 2 }),
    );
    expect(graph.nodes.map((n) => [n.id, n.kind, n.label, n.detail, n.focus])).toEqual([
      ["dataset:clean:2", "dataset", "clean", "v2", true],
      ["step:sr-prep", "step", "prep", "run run-one-", false],
      ["step:sr-train", "step", "train", "run run-two-", false],
      ["model:clf:1", "model", "clf", "v1", false],
    ]);
    expect(graph.edges.map((e) => [e.source, e.target, e.label])).toEqual([
      ["step:sr-prep", "dataset:clean:2", "produced"],
      ["dataset:clean:2", "step:sr-train", "used as data"],
      ["step:sr-train", "model:clf:1", "produced"],
    ]);
    expect(graph.nodes.find((n) => n.kind === "step")?.href).toBe("/runs/run-one-1234/steps/sr-prep");
  });

  it("draws datasets passed as datasets= straight to the model, and a run without a step as a run", () => {
    const bare = { pipeline_run_id: "interactive-run" };
    const graph = buildLineage({
      models: [{ name: "clf", version: 3, produced_by: bare, datasets: [{ name: "raw", version: 1 }] }],
    });
    expect(graph.nodes.find((n) => n.kind === "run")).toMatchObject({ label: "run interact", href: "/runs/interactive-run" });
    expect(graph.edges.map((e) => [e.source, e.target, e.label])).toEqual([
      ["run:interactive-run", "model:clf:3", "produced"],
      ["dataset:raw:1", "model:clf:3", "made from"],
    ]);
  });

  it("draws a node once when two versions share a step, and names every input of an edge met twice", () => {
    const graph = buildLineage({
      datasets: [
        { name: "a", version: 1, consumed_by: [{ ...train, input_name: "x" }] },
        { name: "a", version: 1, consumed_by: [{ ...train, input_name: "y" }] },
        { name: "b", version: 4, consumed_by: [train], models: [{ name: "m", version: 2 }] },
      ],
    });
    expect(graph.nodes.filter((n) => n.kind === "step")).toHaveLength(1);
    expect(graph.edges.map((e) => e.label)).toEqual(["used as x, used as y", "used", "made from"]);
    expect(graph.nodes.map((n) => n.id)).toContain(modelNodeId({ name: "m", version: 2 }));
  });

  it("gives a page with nothing registered an empty graph", () => {
    expect(buildLineage({})).toEqual({ nodes: [], edges: [] });
  });

  it("joins a model to the datasets its step read through that step, and keeps other readers out", () => {
    const other = { pipeline_run_id: "run-three", step_run_id: "sr-other", step_name: "score" };
    const graph = modelLineage(
      { name: "clf", version: 1, produced_by: train, datasets: [{ name: "clean", version: 2 }, { name: "extra", version: 1 }] },
      [
        { name: "clean", version: 1, consumed_by: [train] },
        { name: "clean", version: 2, produced_by: prep, consumed_by: [{ ...train, input_name: "data" }, other] },
        { name: "extra", version: 1, consumed_by: [other] },
      ],
    );
    expect(graph.edges.map((e) => [e.source, e.target, e.label])).toEqual([
      ["step:sr-prep", "dataset:clean:2", "produced"],
      ["dataset:clean:2", "step:sr-train", "used as data"],
      ["step:sr-train", "model:clf:1", "produced"],
      ["dataset:extra:1", "model:clf:1", "made from"],
    ]);
    expect(graph.nodes.find((n) => n.focus)?.id).toBe("model:clf:1");
  });
});
