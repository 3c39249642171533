import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../api/client";
import { buildTree, type FileNode, firstFile, type FolderNode, formatSize, type TreeNode } from "../../outputs/fileTree";
import { FilePreview } from "../../outputs/FilePreview";
import { EmptyState } from "../EmptyState";
import type { StepPartProps } from "./StepMetrics";
import "./step.css";

function fileUrl(runId: string, stepId: string, file: FileNode): string {
  const path = file.path.split("/").map(encodeURIComponent).join("/");
  const parts = [runId, stepId, file.output].map(encodeURIComponent);
  return `/api/runs/${parts[0]}/steps/${parts[1]}/outputs/${parts[2]}/files/${path}`;
}

function Tree({
  nodes,
  closed,
  toggle,
  selected,
  select,
  depth,
}: {
  nodes: TreeNode[];
  closed: Set<string>;
  toggle: (id: string) => void;
  selected: string | null;
  select: (file: FileNode) => void;
  depth: number;
}) {
  return (
    <ul className="file-tree" role={depth === 0 ? "tree" : "group"}>
      {nodes.map((node) =>
        node.kind === "folder" ? (
          <li key={node.id} role="treeitem" aria-expanded={!closed.has(node.id)}>
            <button
              type="button"
              className="tree-row folder"
              style={{ paddingLeft: `${depth * 0.9 + 0.25}rem` }}
              onClick={() => toggle(node.id)}
            >
              <span className="chevron" aria-hidden="true">
                {closed.has(node.id) ? "▸" : "▾"}
              </span>
              <span className="tree-name">{node.name}/</span>
              <span className="tree-size muted">
                {node.files} {node.files === 1 ? "file" : "files"}
              </span>
            </button>
            {!closed.has(node.id) && (
              <Tree
                nodes={(node as FolderNode).children}
                closed={closed}
                toggle={toggle}
                selected={selected}
                select={select}
                depth={depth + 1}
              />
            )}
          </li>
        ) : (
          <li key={node.id} role="treeitem" aria-selected={node.id === selected}>
            <button
              type="button"
              className={`tree-row file${node.id === selected ? " selected" : ""}`}
              style={{ paddingLeft: `${depth * 0.9 + 1.15}rem` }}
              onClick={() => select(node)}
              data-path={node.path}
            >
              <span className="tree-name">{node.name}</span>
              <span className="tree-size muted">{formatSize(node.size)}</span>
            </button>
          </li>
        ),
      )}
    </ul>
  );
}

/** The step's outputs as a tree of files (folders fold) beside a preview of the one picked, each downloadable. */
export function StepOutputs({ runId, stepId }: StepPartProps) {
  const [closed, setClosed] = useState<Set<string>>(new Set());
  const [picked, setPicked] = useState<FileNode | null>(null);
  const query = useQuery({
    queryKey: ["step-outputs", runId, stepId],
    queryFn: () =>
      unwrap(api.GET("/api/runs/{run_id}/steps/{step}/outputs", { params: { path: { run_id: runId, step: stepId } } })),
  });
  const tree = useMemo(() => buildTree(query.data ?? []), [query.data]);
  if (query.isPending) return <p className="muted">Loading outputs…</p>;
  if (query.isError) return <p className="notice">Outputs could not be read: {query.error.message}</p>;
  if (!tree.length) {
    return (
      <EmptyState title="No outputs">
        <p>This step declares no outputs.</p>
      </EmptyState>
    );
  }
  const selected = picked ?? firstFile(tree);
  const toggle = (id: string) =>
    setClosed((now) => {
      const next = new Set(now);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <div className="step-outputs" data-testid="step-outputs">
      <nav className="outputs-tree" aria-label="Output files">
        <Tree nodes={tree} closed={closed} toggle={toggle} selected={selected?.id ?? null} select={setPicked} depth={0} />
      </nav>
      <section className="outputs-preview" aria-label="Preview">
        {selected ? (
          <>
            <header className="preview-head">
              <span className="mono preview-path" title={`${selected.output}/${selected.path}`}>
                {selected.output}/{selected.path}
              </span>
              <span className="muted">{formatSize(selected.size)}</span>
              <a className="button quiet" href={fileUrl(runId, stepId, selected)} download={selected.name}>
                ↓ Download
              </a>
            </header>
            <FilePreview key={selected.id} file={selected} url={fileUrl(runId, stepId, selected)} />
          </>
        ) : (
          <EmptyState title="No files">
            <p>The outputs are empty: the step wrote nothing into them.</p>
          </EmptyState>
        )}
      </section>
    </div>
  );
}
