import { Background, Controls, Handle, Position, ReactFlow, ReactFlowProvider, type Edge, type Node, type NodeHandle, type NodeProps } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useMemo } from "react";
import { useNavigate } from "react-router-dom";
import { DEFAULT_LAYOUT, layeredLayout } from "../components/graph/layout";
import "../components/graph/graph.css";
import type { LineageGraph as Graph, LineageKind, LineageNode } from "./lineage";

const { nodeWidth: WIDTH, nodeHeight: HEIGHT } = DEFAULT_LAYOUT;
// Every node is WIDTH x HEIGHT (assets.css fixes it), with a handle at the middle of its top and bottom: told so,
// xyflow need not measure them.
const SIZE = { width: WIDTH, height: HEIGHT, measured: { width: WIDTH, height: HEIGHT } };
const HANDLES: NodeHandle[] = [
  { type: "target", position: Position.Top, x: WIDTH / 2, y: 0, width: 1, height: 1 },
  { type: "source", position: Position.Bottom, x: WIDTH / 2, y: HEIGHT - 1, width: 1, height: 1 },
];
const KIND_WORD: Record<LineageKind, string> = { dataset: "Dataset", model: "Model", run: "Run", step: "Step" };

type LineageFlowNode = Node<{ node: LineageNode }, "asset">;

/** One node of the lineage: what it is (a coloured word), its name, and its version or run. */
const AssetNode = memo(function AssetNode({ data }: NodeProps<LineageFlowNode>) {
  const { node } = data;
  return (
    <div
      className={`lineage-node ${node.kind}${node.focus ? " focus" : ""}`}
      data-testid="lineage-node"
      data-kind={node.kind}
      title={`${KIND_WORD[node.kind]} ${node.label} · ${node.detail}`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="lineage-name">{node.label}</div>
      <div className="lineage-meta">
        <span className="lineage-kind">{KIND_WORD[node.kind]}</span>
        <span className="mono">{node.detail}</span>
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

const NODE_TYPES = { asset: AssetNode };

/** A version's lineage, top to bottom: the step that produced it, the steps that read it, the models made from it.
 * A click on a run or step opens its run; on a dataset or model, that version's page. */
export function LineageGraph({ graph }: { graph: Graph }) {
  // A graph of another shape (another version picked) is a new flow, fitted to the view anew.
  const shape = graph.nodes.map((n) => n.id).join("\n");
  return (
    <ReactFlowProvider key={shape}>
      <Lineage graph={graph} />
    </ReactFlowProvider>
  );
}

function Lineage({ graph }: { graph: Graph }) {
  const navigate = useNavigate();
  const layout = useMemo(() => layeredLayout(graph.nodes.map((n) => n.id), graph.edges), [graph]);
  const nodes: Node[] = useMemo(
    () =>
      graph.nodes.map((node) => ({
        id: node.id,
        type: "asset",
        position: layout.positions.get(node.id) ?? { x: 0, y: 0 },
        ...SIZE,
        handles: HANDLES,
        data: { node },
        draggable: false,
      })),
    [graph, layout],
  );
  const edges: Edge[] = useMemo(
    () =>
      graph.edges.map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        label: e.label,
        type: "default",
        className: e.label === "made from" ? "order-edge" : "data-edge",
      })),
    [graph],
  );
  const byId = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);
  // Tall enough for the layers it has, within reason: a lone version needs no 400 px of empty canvas.
  const height = Math.min(560, Math.max(220, layout.height + 120));
  return (
    <div className="run-graph lineage-graph" style={{ height, minHeight: height }} data-testid="lineage-graph" aria-label="Lineage">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        nodesConnectable={false}
        nodesDraggable={false}
        elementsSelectable={false}
        fitView
        fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
        minZoom={0.1}
        maxZoom={2}
        onNodeClick={(_, clicked) => {
          const node = byId.get(clicked.id);
          if (node && !node.focus) navigate(node.href);
        }}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
