import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { statusClass, statusWord } from "../../status";
import type { StepNodeData } from "./groupSteps";

export type StepFlowNode = Node<{ step: StepNodeData; selected: boolean }, "step">;

/** A step of the graph: its name, its status as a word and a colour, and a Reused badge when it was. */
export const StepNode = memo(function StepNode({ data }: NodeProps<StepFlowNode>) {
  const { step, selected } = data;
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
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});
