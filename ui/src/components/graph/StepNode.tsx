import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { statusClass, statusWord } from "../../status";
import { elapsedSeconds, formatDuration } from "../../time";
import { useNow } from "../run/useNow";
import type { StepNodeData } from "./groupSteps";

export type StepFlowNode = Node<{ step: StepNodeData; selected: boolean }, "step">;

/** A step of the graph: its name, its status as a word and a colour, how long it took (or has run so far), and a
 * Reused badge when it was. */
export const StepNode = memo(function StepNode({ data }: NodeProps<StepFlowNode>) {
  const { step, selected } = data;
  const running = step.status === "Running";
  const now = useNow(running ? 1000 : null);
  // a reused step took no time of this run: its badge says why, a duration would mislead
  const seconds = step.is_reused || !(running || step.ended) ? null : elapsedSeconds(step.started, step.ended, now);
  return (
    <div
      className={`step-node ${statusClass(step.status)}${selected ? " selected" : ""}`}
      data-testid="step-node"
      data-key={step.key}
      data-status={step.status}
      title={step.key === step.name ? step.name : `${step.name} (${step.key})`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="step-name" data-testid="step-name">
        {step.name}
      </div>
      <div className="step-meta">
        <span className={`status ${statusClass(step.status)}`} data-testid="step-status">
          {statusWord(step.status)}
        </span>
        {step.is_reused && (
          <span className="reused-badge" data-testid="reused-badge" title="its outputs are an earlier run's">
            Reused
          </span>
        )}
        {seconds !== null && (
          <span className="step-duration" data-testid="step-duration" title={running ? "running for" : "took"}>
            {formatDuration(seconds)}
          </span>
        )}
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});
