import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Edge,
  type Node,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useMemo, useState, type KeyboardEvent } from "react";
import { GroupNode } from "./GroupNode";
import { groupSteps, summarize, type StepEdgeData, type StepNodeData } from "./groupSteps";
import { DEFAULT_LAYOUT, layeredLayout } from "./layout";
import { StepNode } from "./StepNode";
import "./graph.css";

const NODE_TYPES = { step: StepNode, group: GroupNode };
const LABELS_UP_TO = 400; // edge labels beyond this many edges are noise, and cost a text element each

interface Props {
  nodes: StepNodeData[];
  edges: StepEdgeData[];
  /** the step run id of the open step */
  openId: string | undefined;
  onOpen: (step: StepNodeData) => void;
}

/** The run's steps as a graph, top to bottom, laid out in layers; arrows and Enter move and open. */
export function RunGraph(props: Props) {
  return (
    <ReactFlowProvider>
      <Graph {...props} />
    </ReactFlowProvider>
  );
}

function Graph({ nodes, edges, openId, onOpen }: Props) {
  const flow = useReactFlow();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  // The shape (which steps, which edges) decides the layout; statuses only repaint. The key is the shape's.
  const shape = useMemo(() => nodes.map((n) => n.key).join("\n") + "\u0000" + edges.length, [nodes, edges.length]);
  // Keyed on the shape alone: a new status must not lay the graph out again (byKey below brings statuses in).
  const grouped = useMemo(() => groupSteps(nodes, edges, { expanded }), [shape, expanded]);
  const layout = useMemo(() => {
    const started = performance.now();
    const laid = layeredLayout(grouped.items.map((i) => i.id), grouped.edges);
    // bench/portal.py reads this measure: how long the layout of this many nodes took in the browser.
    performance.measure(`duto:layout:${grouped.items.length}`, { start: started, end: performance.now() });
    return laid;
  }, [grouped]);
  const byKey = useMemo(() => new Map(nodes.map((n) => [n.key, n])), [nodes]);
  const openKey = nodes.find((n) => n.id === openId)?.key;
  const current = selected ?? openKey ?? null;

  const expand = useCallback((prefix: string) => setExpanded((was) => new Set([...was, prefix])), []);
  const flowNodes: Node[] = useMemo(
    () =>
      grouped.items.map((item) => {
        const position = layout.positions.get(item.id)!;
        if (item.kind === "step") {
          const step = byKey.get(item.id) ?? item.step;
          return { id: item.id, type: "step", position, data: { step, selected: item.id === current }, draggable: false };
        }
        const group = summarize(item.id, item.prefix, item.steps.map((s) => byKey.get(s.key) ?? s));
        return {
          id: item.id,
          type: "group",
          position,
          data: { group, selected: item.id === current, onExpand: expand },
          draggable: false,
        };
      }),
    [grouped, layout, byKey, current, expand],
  );
  const flowEdges: Edge[] = useMemo(() => {
    const labelled = grouped.edges.length <= LABELS_UP_TO;
    return grouped.edges.map((e) => {
      const running = byKey.get(e.source)?.status === "Running" || byKey.get(e.target)?.status === "Running";
      return {
        id: `${e.source}->${e.target}`,
        source: e.source,
        target: e.target,
        type: "smoothstep",
        animated: running,
        label: labelled && e.data.length ? e.data.slice(0, 2).join(", ") + (e.data.length > 2 ? ` +${e.data.length - 2}` : "") : undefined,
        className: e.data.length ? "data-edge" : "order-edge",
      };
    });
  }, [grouped, byKey]);

  const neighbours = useMemo(() => {
    const down = new Map<string, string[]>();
    const up = new Map<string, string[]>();
    for (const e of grouped.edges) {
      (down.get(e.source) ?? down.set(e.source, []).get(e.source)!).push(e.target);
      (up.get(e.target) ?? up.set(e.target, []).get(e.target)!).push(e.source);
    }
    return { down, up };
  }, [grouped]);

  const moveTo = (id: string) => {
    setSelected(id);
    const at = layout.positions.get(id);
    if (at) flow.setCenter(at.x + DEFAULT_LAYOUT.nodeWidth / 2, at.y + DEFAULT_LAYOUT.nodeHeight / 2, { duration: 150, zoom: flow.getZoom() });
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const first = grouped.items[0]?.id;
    if (!first) return;
    const from = current ?? first;
    const rank = layout.rank.get(from) ?? 0;
    const layer = layout.layers[rank] ?? [];
    const at = layer.indexOf(from);
    const nearest = (ids: string[] | undefined, fallback: string[] | undefined) => {
      const pool = ids && ids.length ? ids : fallback ?? [];
      const x = layout.positions.get(from)?.x ?? 0;
      return pool.reduce<string | undefined>((best, id) => {
        const d = Math.abs((layout.positions.get(id)?.x ?? 0) - x);
        return best === undefined || d < Math.abs((layout.positions.get(best)?.x ?? 0) - x) ? id : best;
      }, undefined);
    };
    let next: string | undefined;
    if (event.key === "ArrowDown") next = current === null ? first : nearest(neighbours.down.get(from), layout.layers[rank + 1]);
    else if (event.key === "ArrowUp") next = nearest(neighbours.up.get(from), layout.layers[rank - 1]);
    else if (event.key === "ArrowRight") next = layer[Math.min(layer.length - 1, at + 1)];
    else if (event.key === "ArrowLeft") next = layer[Math.max(0, at - 1)];
    else if (event.key === "Enter" && current) {
      const step = byKey.get(current);
      if (step) onOpen(step);
      else if (current.startsWith("group:")) expand(current.slice("group:".length));
      event.preventDefault();
      return;
    } else return;
    event.preventDefault();
    if (next) moveTo(next);
  };

  return (
    <div className="run-graph" tabIndex={0} onKeyDown={onKeyDown} aria-label="The run's steps; arrow keys move, Enter opens" data-testid="run-graph">
      <ReactFlow
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={NODE_TYPES}
        onlyRenderVisibleElements
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable={false}
        fitView
        fitViewOptions={{ maxZoom: 1, padding: 0.15, nodes: grouped.items.length > 60 ? flowNodes.slice(0, 40) : undefined }}
        minZoom={0.02}
        maxZoom={2}
        onNodeClick={(_, node) => {
          setSelected(node.id);
          const step = byKey.get(node.id);
          if (step) onOpen(step);
        }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} size={1} />
        <Controls showInteractive={false} />
        {grouped.items.length > 12 && grouped.items.length <= 2000 && <MiniMap pannable zoomable className="minimap" nodeClassName={(n) => `mini ${((n.data as { step?: StepNodeData }).step?.status ?? "").toLowerCase()}`} />}
      </ReactFlow>
    </div>
  );
}
