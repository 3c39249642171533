import { EdgeLabelRenderer } from "@xyflow/react";
import { memo, useMemo } from "react";
import { routePath, type Point } from "./edgeLabels";

export interface LayerEdge {
  source: string;
  target: string;
  /** carries data (a solid line) or only orders its steps (dashed) */
  data: boolean;
  running: boolean;
}

interface Props {
  edges: readonly LayerEdge[];
  positions: ReadonlyMap<string, Point>;
  routes: ReadonlyMap<string, readonly Point[]>;
  nodeWidth: number;
  nodeHeight: number;
}

/** The edges of a big graph as three SVG paths (data, order, running) of many curves each, under the nodes: a
 * thousand edges out of one step cost one element, not a thousand components, so panning and zooming stay smooth.
 * The graph hands it the edges whose box meets the view (culling.ts), anew only when the view changes cell. */
export const EdgeLayer = memo(function EdgeLayer({ edges, positions, routes, nodeWidth, nodeHeight }: Props) {
  const paths = useMemo(() => {
    const drawn = { data: [] as string[], order: [] as string[], running: [] as string[] };
    for (const e of edges) {
      const a = positions.get(e.source);
      const b = positions.get(e.target);
      if (!a || !b) continue;
      const path = routePath({ x: a.x + nodeWidth / 2, y: a.y + nodeHeight }, routes.get(`${e.source}->${e.target}`) ?? [], { x: b.x + nodeWidth / 2, y: b.y });
      (e.running ? drawn.running : e.data ? drawn.data : drawn.order).push(path);
    }
    return { data: drawn.data.join(" "), order: drawn.order.join(" "), running: drawn.running.join(" ") };
  }, [edges, positions, routes, nodeWidth, nodeHeight]);
  return (
    <EdgeLabelRenderer>
      <svg className="edge-layer" data-testid="edge-layer" data-edges={edges.length} aria-hidden="true">
        <path className="edge-layer-data" d={paths.data} />
        <path className="edge-layer-order" d={paths.order} />
        <path className="edge-layer-running" d={paths.running} />
      </svg>
    </EdgeLabelRenderer>
  );
});
