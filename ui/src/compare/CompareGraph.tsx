// The baseline run's graph with each step that differs in another run marked, and what differs in it.
import { Background, type Edge, Handle, type Node, type NodeProps, Position, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import type { Schemas } from "../api/client";
import { GROUP_LABELS, type Group } from "../why/reasons";
import { layoutGraph } from "./layout";
import "./compare.css";

type StepComparison = Schemas["StepComparison"];
type StepData = { step: StepComparison; selected: boolean };

function StepNode({ data }: NodeProps<Node<StepData>>) {
  const { step, selected } = data;
  const change = step.differs ? "differs" : "same";
  return (
    <div className={`compare-node ${change}${selected ? " selected" : ""}`} data-step={step.key} data-change={change}>
      <Handle type="target" position={Position.Left} />
      <div className="compare-node-name">
        <span className="compare-node-mark" aria-hidden="true">
          {step.differs ? "≠" : "="}
        </span>
        {step.name}
      </div>
      <div className="compare-node-groups">
        {step.differs ? (
          step.groups.length ? (
            step.groups.map((g) => (
              <span key={g} className={`group-tag ${g}`}>
                {GROUP_LABELS[g as Group] ?? g}
              </span>
            ))
          ) : (
            <span className="muted">{step.runs.find((r) => r.change !== "same" && r.change !== "baseline")?.change}</span>
          )
        ) : (
          <span className="muted">same</span>
        )}
      </div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

const NODE_TYPES = { step: StepNode };

export function CompareGraph({
  steps,
  edges,
  selected,
  onSelect,
}: {
  steps: StepComparison[];
  edges: Schemas["Edge"][];
  selected: string | null;
  onSelect: (key: string) => void;
}) {
  const { nodes, links } = useMemo(() => {
    const placed = layoutGraph(
      steps.map((s) => s.key),
      edges,
    );
    const nodes: Node<StepData>[] = placed.map((p, i) => ({
      id: p.id,
      type: "step",
      position: { x: p.x, y: p.y },
      data: { step: steps[i]!, selected: p.id === selected },
      draggable: false,
    }));
    const links: Edge[] = edges.map((e) => ({ id: `${e.source}->${e.target}`, source: e.source, target: e.target }));
    return { nodes, links };
  }, [steps, edges, selected]);
  return (
    <div className="compare-graph" data-testid="compare-graph">
      <ReactFlow
        nodes={nodes}
        edges={links}
        nodeTypes={NODE_TYPES}
        onNodeClick={(_, node) => onSelect(node.id)}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
        minZoom={0.2}
      >
        <Background gap={16} size={1} />
      </ReactFlow>
    </div>
  );
}
