import { EdgeLabelRenderer } from "@xyflow/react";
import { memo } from "react";
import type { EdgeLabel, LabelPlan } from "./edgeLabels";

/** The labels edgeLabels.ts placed, above every edge and below the steps, each at a size known beforehand (no label
 * is measured); a merged or shared label's tooltip lists the data it stands for. */
export const EdgeLabels = memo(function EdgeLabels({ plan }: { plan: LabelPlan }) {
  const labels: [string, EdgeLabel][] = [
    ...[...plan.byEdge].map(([id, label]): [string, EdgeLabel] => [`edge:${id}`, label]),
    ...[...plan.merged].map(([id, label]): [string, EdgeLabel] => [`into:${id}`, label]),
    ...[...plan.fanned].map(([id, label]): [string, EdgeLabel] => [`from:${id}`, label]),
  ];
  return (
    <EdgeLabelRenderer>
      {labels.map(([key, label]) => (
        <div
          key={key}
          className="edge-label"
          data-testid="edge-label"
          title={label.title}
          style={{ width: label.width, height: label.height, transform: `translate(${label.x - label.width / 2}px, ${label.y - label.height / 2}px)` }}
        >
          {label.text}
        </div>
      ))}
    </EdgeLabelRenderer>
  );
});
