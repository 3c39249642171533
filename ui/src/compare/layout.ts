// Where each step of a graph goes: dagre's layered layout, left to right, as positions for @xyflow/react.
import dagre from "@dagrejs/dagre";

export interface Placed {
  id: string;
  x: number;
  y: number;
}

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 64;

/** The top-left corner of each node, laid out in layers from sources to sinks. */
export function layoutGraph(ids: string[], edges: { source: string; target: string }[]): Placed[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 56, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const id of ids) graph.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) {
    if (ids.includes(edge.source) && ids.includes(edge.target)) graph.setEdge(edge.source, edge.target);
  }
  dagre.layout(graph);
  return ids.map((id) => {
    const node = graph.node(id);
    return { id, x: node.x - NODE_WIDTH / 2, y: node.y - NODE_HEIGHT / 2 };
  });
}
