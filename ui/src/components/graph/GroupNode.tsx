import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { statusClass, statusWord } from "../../status";
import { groupStatus, type GroupItem } from "./groupSteps";

export type GroupFlowNode = Node<{ group: GroupItem; selected: boolean; onExpand: (prefix: string) => void }, "group">;

const ORDER = ["Failed", "Running", "Preparing", "Queued", "NotStarted", "Canceled", "Finished"];

/** Many steps of one numbered name, folded: how many, how they stand, and a button to show them. */
export const GroupNode = memo(function GroupNode({ data }: NodeProps<GroupFlowNode>) {
  const { group, selected, onExpand } = data;
  const status = groupStatus(group.statuses);
  const total = group.steps.length;
  return (
    <div className={`step-node group ${statusClass(status)}${selected ? " selected" : ""}`} data-testid="group-node">
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="step-name">
        <span data-testid="step-name">{group.label}</span>
        <span className="muted"> · {total.toLocaleString("en-US")} steps</span>
      </div>
      <div className="group-bar" aria-hidden="true">
        {ORDER.filter((s) => group.statuses[s]).map((s) => (
          <span key={s} className={`seg ${statusClass(s)}`} style={{ flexGrow: group.statuses[s] }} />
        ))}
      </div>
      <div className="step-meta">
        <span className="group-summary">
          {ORDER.filter((s) => group.statuses[s])
            .map((s) => `${group.statuses[s]!.toLocaleString("en-US")} ${statusWord(s).toLowerCase()}`)
            .join(" · ")}
        </span>
        <button type="button" className="link-button nodrag" onClick={() => onExpand(group.prefix)}>
          Expand
        </button>
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});
