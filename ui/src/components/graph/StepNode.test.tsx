import { act, cleanup, render, screen } from "@testing-library/react";
import { ReactFlowProvider, type NodeProps } from "@xyflow/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StepNodeData } from "./groupSteps";
import { StepNode, type StepFlowNode } from "./StepNode";

function show(step: Partial<StepNodeData>) {
  const data = { step: { key: "train", name: "train", id: "s1", status: "Finished", is_reused: false, ...step }, selected: false };
  const props = { id: "train", data, type: "step" } as unknown as NodeProps<StepFlowNode>;
  return render(
    <ReactFlowProvider>
      <StepNode {...props} />
    </ReactFlowProvider>,
  );
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("StepNode", () => {
  it("shows the status as a word and how long the step took", () => {
    show({ started: "2026-01-01T10:00:00Z", ended: "2026-01-01T10:01:05Z" });
    expect(screen.getByTestId("step-status").textContent).toBe("Finished");
    expect(screen.getByTestId("step-duration").textContent).toBe("1m 05s");
  });

  it("shows a reused step's badge and no duration, and no duration before a step starts", () => {
    show({ is_reused: true, started: "2026-01-01T10:00:00Z", ended: "2026-01-01T10:00:00Z" });
    expect(screen.getByTestId("reused-badge").textContent).toBe("Reused");
    expect(screen.queryByTestId("step-duration")).toBeNull();
  });

  it("counts a running step's time as it goes", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T10:00:30Z"));
    show({ status: "Running", started: "2026-01-01T10:00:00Z", ended: null });
    expect(screen.getByTestId("step-status").textContent).toBe("Running");
    expect(screen.getByTestId("step-duration").textContent).toBe("30s");
    act(() => vi.advanceTimersByTime(5000));
    expect(screen.getByTestId("step-duration").textContent).toBe("35s");
  });

  it("shows nothing for a step not started", () => {
    show({ status: "NotStarted" });
    expect(screen.getByTestId("step-status").textContent).toBe("Not started");
    expect(screen.queryByTestId("step-duration")).toBeNull();
  });
});
