import { describe, expect, it } from "vitest";
import { groupStatus, groupSteps, namePrefix, type StepNodeData } from "./groupSteps";

function step(name: string, status = "Finished", reused = false): StepNodeData {
  return { key: name, name, id: `id-${name}`, status, is_reused: reused };
}

function shardedRun(shards: number) {
  const names = Array.from({ length: shards }, (_, i) => `shard_${String(i + 1).padStart(4, "0")}`);
  const steps = [step("prepare"), ...names.map((n, i) => step(n, i === 0 ? "Running" : "Finished", i % 2 === 0)), step("merge")];
  const edges = [
    ...names.map((n) => ({ source: "prepare", target: n, data: ["rows"] })),
    ...names.map((n) => ({ source: n, target: "merge", data: [`part`] })),
  ];
  return { steps, edges };
}

describe("namePrefix", () => {
  it("drops the trailing number only", () => {
    expect(namePrefix("shard_0042")).toBe("shard_");
    expect(namePrefix("fold-3")).toBe("fold-");
    expect(namePrefix("train")).toBeNull();
    expect(namePrefix("42")).toBeNull();
    expect(namePrefix("v2_train")).toBeNull();
  });
});

describe("groupSteps", () => {
  it("folds 9,999 numbered steps into one group with a status summary", () => {
    const { steps, edges } = shardedRun(9999);
    const grouped = groupSteps(steps, edges);
    expect(grouped.items.map((i) => i.id)).toEqual(["prepare", "group:shard_", "merge"]);
    const group = grouped.items[1]!;
    expect(group.kind).toBe("group");
    if (group.kind !== "group") return;
    expect(group.label).toBe("shard_*");
    expect(group.steps).toHaveLength(9999);
    expect(group.statuses).toEqual({ Running: 1, Finished: 9998 });
    expect(group.reused).toBe(5000);
    expect(groupStatus(group.statuses)).toBe("Running");
    expect(grouped.edges).toEqual([
      { source: "prepare", target: "group:shard_", data: ["rows"] },
      { source: "group:shard_", target: "merge", data: ["part"] },
    ]);
    expect(grouped.itemOf.get("shard_0500")).toBe("group:shard_");
  });

  it("leaves a run of ordinary size as it is", () => {
    const { steps, edges } = shardedRun(200);
    const grouped = groupSteps(steps, edges);
    expect(grouped.items).toHaveLength(202);
    expect(grouped.edges).toHaveLength(400);
  });

  it("shows the steps of an expanded group again", () => {
    const { steps, edges } = shardedRun(3000);
    const grouped = groupSteps(steps, edges, { expanded: new Set(["shard_"]) });
    expect(grouped.items).toHaveLength(3002);
    expect(grouped.items.every((i) => i.kind === "step")).toBe(true);
  });

  it("drops the edges inside a group (a long chain folds into one node)", () => {
    const steps = Array.from({ length: 2000 }, (_, i) => step(`step_${i}`));
    const edges = steps.slice(1).map((s, i) => ({ source: steps[i]!.key, target: s.key, data: [`part_${i}`] }));
    const grouped = groupSteps(steps, edges);
    expect(grouped.items.map((i) => i.id)).toEqual(["group:step_"]);
    expect(grouped.edges).toEqual([]);
  });

  it("keeps a small family of a big run as steps", () => {
    const { steps, edges } = shardedRun(2000);
    const extra = [step("eval_1"), step("eval_2")];
    const grouped = groupSteps([...steps, ...extra], edges, { minSize: 20 });
    expect(grouped.items.map((i) => i.id)).toEqual(["prepare", "group:shard_", "merge", "eval_1", "eval_2"]);
  });
});

describe("groupStatus", () => {
  it("says a failure first, then what still goes on, then how it ended", () => {
    expect(groupStatus({ Finished: 3, Failed: 1, Running: 2 })).toBe("Failed");
    expect(groupStatus({ Finished: 3, Queued: 1 })).toBe("Queued");
    expect(groupStatus({ Finished: 3 })).toBe("Finished");
  });
});
