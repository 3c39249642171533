import { BaseEdge, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import { routePath, type EdgeLabel, type Point } from "./edgeLabels";

export type DataFlowEdge = Edge<{ labels: EdgeLabel[]; route: readonly Point[] }, "data">;

/** An edge as a smooth vertical curve (through the lanes the layout gave it, when it spans layers), with the labels edgeLabels.ts placed for it (its own, or a step's merged
 * "3 inputs"): drawn in SVG at a size known beforehand, so no label is measured. */
export const DataEdge = memo(function DataEdge({ id, sourceX, sourceY, targetX, targetY, data, style, markerEnd }: EdgeProps<DataFlowEdge>) {
  const path = routePath({ x: sourceX, y: sourceY }, data?.route ?? [], { x: targetX, y: targetY });
  return (
    <>
      <BaseEdge id={id} path={path} style={style} markerEnd={markerEnd} />
      {data?.labels.map((label) => (
        <g key={label.text + label.x} className="edge-label" transform={`translate(${label.x - label.width / 2} ${label.y - label.height / 2})`} data-testid="edge-label">
          <title>{label.title}</title>
          <rect width={label.width} height={label.height} rx={4} />
          <text x={label.width / 2} y={label.height / 2} textAnchor="middle" dominantBaseline="central">
            {label.text}
          </text>
        </g>
      ))}
    </>
  );
});
