import {
  Background,
  Controls,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore,
  useStoreApi,
  type Node,
  type NodeHandle,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { edgesNear, viewCell } from "./culling";
import { DataEdge, type DataFlowEdge } from "./DataEdge";
import { EdgeLabels } from "./EdgeLabels";
import { EdgeLayer, type LayerEdge } from "./EdgeLayer";
import { edgeId, placeLabels, type LabelPlan } from "./edgeLabels";
import { GroupNode } from "./GroupNode";
import { groupStatus, groupSteps, summarize, type StepEdgeData, type StepNodeData } from "./groupSteps";
import { DEFAULT_LAYOUT, layeredLayout, startingNodes } from "./layout";
import { OverviewMap } from "./OverviewMap";
import { StepNode } from "./StepNode";
import "./graph.css";

const NODE_TYPES = { step: StepNode, group: GroupNode };
const EDGE_TYPES = { data: DataEdge };
// Past this many edges, the graph draws them in one layer of a few paths (EdgeLayer), unlabelled (a label per edge
// would be noise), and only those whose box meets the view's cell (culling.ts); below it, each is an xyflow edge
// with its label.
const LAYER_EDGES_ABOVE = 200;
const NO_LABELS: LabelPlan = { byEdge: new Map(), merged: new Map(), fanned: new Map() };
const OVERVIEW_ABOVE = 60; // a graph of up to this many opens whole in view: an overview would only cover it
const { nodeWidth: WIDTH, nodeHeight: HEIGHT } = DEFAULT_LAYOUT;
// Every node is WIDTH x HEIGHT (graph.css fixes it) with a handle at the middle of its top and bottom edges. Told
// so, xyflow draws only the nodes in view from the first frame; left to measure, it would draw every node once to
// find its handles, then drop those out of view, and a thousand steps cost a second.
const SIZE = { width: WIDTH, height: HEIGHT, measured: { width: WIDTH, height: HEIGHT } };
const HANDLES: NodeHandle[] = [
  { type: "target", position: Position.Top, x: WIDTH / 2, y: 0, width: 1, height: 1 },
  { type: "source", position: Position.Bottom, x: WIDTH / 2, y: HEIGHT - 1, width: 1, height: 1 },
];

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
          return { id: item.id, type: "step", position, ...SIZE, handles: HANDLES, data: { step, selected: item.id === current }, draggable: false };
        }
        const group = summarize(item.id, item.prefix, item.steps.map((s) => byKey.get(s.key) ?? s));
        return {
          id: item.id,
          type: "group",
          position,
          ...SIZE,
          handles: HANDLES,
          data: { group, selected: item.id === current, onExpand: expand },
          draggable: false,
        };
      }),
    [grouped, layout, byKey, current, expand],
  );
  // The view's cell as a string: the graph renders again only when the view moves into another cell.
  const layered = grouped.edges.length > LAYER_EDGES_ABOVE;
  const cellKey = useStore((s) => (layered ? viewCell(s.transform, s.width, s.height).key : ""));
  const store = useStoreApi();
  const drawnEdges = useMemo(() => {
    if (!cellKey) return [];
    const { transform, width, height } = store.getState();
    const { rect } = viewCell(transform, width, height);
    return edgesNear(grouped.edges, layout.positions, rect, { width: WIDTH, height: HEIGHT }, layout.routes).map(
      (e): LayerEdge => ({
        source: e.source,
        target: e.target,
        data: e.data.length > 0,
        running: byKey.get(e.source)?.status === "Running" || byKey.get(e.target)?.status === "Running",
      }),
    );
  }, [cellKey, grouped, layout, store, byKey]);
  // Labels are placed once per layout, on every edge, so that a label does not jump as the view culls its neighbours.
  const labels = useMemo(() => (layered ? NO_LABELS : placeLabels(grouped.edges, layout.positions, {}, layout.routes)), [grouped, layout, layered]);
  const flowEdges: DataFlowEdge[] = useMemo(
    () =>
      layered
        ? []
        : grouped.edges.map((e) => {
            const id = edgeId(e);
            return {
              id,
              source: e.source,
              target: e.target,
              type: "data",
              animated: byKey.get(e.source)?.status === "Running" || byKey.get(e.target)?.status === "Running",
              data: { route: layout.routes.get(id) ?? [] },
              className: e.data.length ? "data-edge" : "order-edge",
            };
          }),
    [grouped, byKey, layout, layered],
  );
  const groupStatuses = useMemo(
    () =>
      new Map(
        grouped.items.flatMap((i) => (i.kind === "group" ? [[i.id, groupStatus(summarize(i.id, i.prefix, i.steps.map((s) => byKey.get(s.key) ?? s)).statuses)] as const] : [])),
      ),
    [grouped, byKey],
  );
  const statusOf = useCallback((id: string) => byKey.get(id)?.status ?? groupStatuses.get(id) ?? "NotStarted", [byKey, groupStatuses]);

  // A big graph opens on its top, around the middle, at a zoom that reads; a small one shows whole.
  const fitViewOptions = useMemo(
    () => ({ maxZoom: 1, padding: 0.15, nodes: grouped.items.length > 60 ? startingNodes(layout).map((id) => ({ id })) : undefined }),
    [grouped, layout],
  );
  // A group expanded (or a new shape) lays the graph out anew: show its top again, not where the old layout was.
  const fitted = useRef(fitViewOptions);
  useEffect(() => {
    if (fitted.current === fitViewOptions) return;
    fitted.current = fitViewOptions;
    void flow.fitView(fitViewOptions);
  }, [flow, fitViewOptions]);
  // A small graph stays whole in view when its box changes width (the step panel opening or closing beside it);
  // a big one keeps where the user took it.
  const box = useRef<HTMLDivElement>(null);
  const small = grouped.items.length <= 60;
  useEffect(() => {
    const element = box.current;
    if (!element || !small || typeof ResizeObserver === "undefined") return;
    let width = element.clientWidth;
    const observer = new ResizeObserver(() => {
      if (Math.abs(element.clientWidth - width) < 8) return;
      width = element.clientWidth;
      void flow.fitView(fitViewOptions);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [flow, fitViewOptions, small]);

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
    <div ref={box} className="run-graph" tabIndex={0} onKeyDown={onKeyDown} aria-label="The run's steps; arrow keys move, Enter opens" data-testid="run-graph">
      <ReactFlow
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onlyRenderVisibleElements
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable={false}
        fitView
        fitViewOptions={fitViewOptions}
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
        {!layered && <EdgeLabels plan={labels} />}
        {layered && <EdgeLayer edges={drawnEdges} positions={layout.positions} routes={layout.routes} nodeWidth={WIDTH} nodeHeight={HEIGHT} />}
        {grouped.items.length > OVERVIEW_ABOVE && <OverviewMap layout={layout} statusOf={statusOf} nodeWidth={WIDTH} nodeHeight={HEIGHT} />}
      </ReactFlow>
    </div>
  );
}
