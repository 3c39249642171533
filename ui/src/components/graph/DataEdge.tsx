import { BaseEdge, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import { routePath, type Point } from "./edgeLabels";

export type DataFlowEdge = Edge<{ route: readonly Point[] }, "data">;

/** An edge as a smooth vertical curve, through the lanes the layout gave it when it spans layers (its label is
 * drawn by EdgeLabels, above every edge). */
export const DataEdge = memo(function DataEdge({ id, sourceX, sourceY, targetX, targetY, data, style, markerEnd }: EdgeProps<DataFlowEdge>) {
  return <BaseEdge id={id} path={routePath({ x: sourceX, y: sourceY }, data?.route ?? [], { x: targetX, y: targetY })} style={style} markerEnd={markerEnd} interactionWidth={0} />;
});
