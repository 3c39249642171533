// A registered dataset's or model's lineage as a graph: which step of which run produced a version, which steps
// read it, and which models were made from it. Plain functions, so the graph a page draws is tested without one.

/** Where a version came from, or who read it: a run, and the step of it when one is known. */
export interface RunRef {
  pipeline_run_id: string;
  step_run_id?: string | null;
  step_name?: string | null;
}

export interface AssetRef {
  name: string;
  version: number;
}

/** One dataset version with what the lineage route says of it (an absent list is an unknown, drawn as none). */
export interface DatasetLineage extends AssetRef {
  produced_by?: RunRef | null;
  consumed_by?: (RunRef & { input_name?: string | null })[];
  models?: AssetRef[];
}

/** One model version: the step that registered it and the dataset versions it was made from. */
export interface ModelLineage extends AssetRef {
  produced_by?: RunRef | null;
  datasets?: AssetRef[];
}

export type LineageKind = "dataset" | "model" | "run" | "step";

export interface LineageNode {
  id: string;
  kind: LineageKind;
  /** what the node reads as: a dataset's or model's name, a step's name, a run's short id */
  label: string;
  /** the line under it: a version, or the run a step belongs to */
  detail: string;
  /** where a click goes: a run's page (at the step, for a step), a dataset's or model's page at the version */
  href: string;
  /** the version the page is about */
  focus: boolean;
}

export interface LineageEdge {
  id: string;
  source: string;
  target: string;
  /** "produced", "used" (with the input's name when known) or "made from" */
  label: string;
}

export interface LineageGraph {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

const enc = encodeURIComponent;

export function datasetNodeId(d: AssetRef): string {
  return `dataset:${d.name}:${d.version}`;
}

export function modelNodeId(m: AssetRef): string {
  return `model:${m.name}:${m.version}`;
}

/** A step is known by its step run id; without one (a run that registered something outside a step), by its run. */
function runNodeId(ref: RunRef): string {
  return ref.step_run_id ? `step:${ref.step_run_id}` : `run:${ref.pipeline_run_id}`;
}

export function datasetHref(d: AssetRef): string {
  return `/datasets/${enc(d.name)}?version=${d.version}`;
}

export function modelHref(m: AssetRef): string {
  return `/models/${enc(m.name)}?version=${m.version}`;
}

export function runHref(ref: RunRef): string {
  const run = `/runs/${enc(ref.pipeline_run_id)}`;
  return ref.step_run_id ? `${run}/steps/${enc(ref.step_run_id)}` : run;
}

/** The graph of `datasets` and `models` and the runs between them; `focus` names the node of the version a page
 * shows. A node or edge met twice (a step that read two versions, a model listed by both) is drawn once. */
export function buildLineage(
  { datasets = [], models = [] }: { datasets?: readonly DatasetLineage[]; models?: readonly ModelLineage[] },
  focus?: string,
): LineageGraph {
  const nodes = new Map<string, LineageNode>();
  const edges = new Map<string, LineageEdge>();
  const addNode = (node: Omit<LineageNode, "focus">) => {
    if (!nodes.has(node.id)) nodes.set(node.id, { ...node, focus: node.id === focus });
    return node.id;
  };
  const addEdge = (source: string, target: string, label: string) => {
    const id = `${source}->${target}`;
    const known = edges.get(id);
    if (!known) edges.set(id, { id, source, target, label });
    else if (!known.label.split(", ").includes(label)) known.label = `${known.label}, ${label}`;
  };
  const addRun = (ref: RunRef) =>
    addNode({
      id: runNodeId(ref),
      kind: ref.step_run_id ? "step" : "run",
      label: ref.step_run_id ? (ref.step_name ?? "step") : `run ${ref.pipeline_run_id.slice(0, 8)}`,
      detail: ref.step_run_id ? `run ${ref.pipeline_run_id.slice(0, 8)}` : "run",
      href: runHref(ref),
    });
  const addDataset = (d: AssetRef) =>
    addNode({ id: datasetNodeId(d), kind: "dataset", label: d.name, detail: `v${d.version}`, href: datasetHref(d) });
  const addModel = (m: AssetRef) =>
    addNode({ id: modelNodeId(m), kind: "model", label: m.name, detail: `v${m.version}`, href: modelHref(m) });

  // What each step read, to tell a model made from a dataset through its step from one given `datasets=`.
  const readBy = new Set<string>();
  for (const d of datasets) {
    const node = addDataset(d);
    if (d.produced_by) addEdge(addRun(d.produced_by), node, "produced");
    for (const c of d.consumed_by ?? []) {
      const step = addRun(c);
      addEdge(node, step, c.input_name ? `used as ${c.input_name}` : "used");
      readBy.add(`${node}->${step}`);
    }
  }
  const byNode = new Map(models.map((m) => [modelNodeId(m), m]));
  for (const m of models) {
    const node = addModel(m);
    const step = m.produced_by ? addRun(m.produced_by) : null;
    if (step) addEdge(step, node, "produced");
    for (const d of m.datasets ?? []) {
      const source = addDataset(d);
      if (step && readBy.has(`${source}->${step}`)) continue;
      addEdge(source, node, "made from");
    }
  }
  // A dataset's lineage names the models made from it without saying how: drawn "made from" unless the model's own
  // lineage (above) already joins them through the step that read it.
  for (const d of datasets) {
    for (const m of d.models ?? []) {
      const node = addModel(m);
      const known = byNode.get(node);
      if (known && (known.datasets ?? []).some((x) => x.name === d.name && x.version === d.version)) continue;
      addEdge(datasetNodeId(d), node, "made from");
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** A model version's lineage: the dataset versions it came from (with the run that produced each), joined to the
 * model through its step where that step read them, else drawn "made from" (those passed as `datasets=`).
 * `datasetVersions` are the datasets' lineage; other versions and other readers in it are left out. */
export function modelLineage(model: ModelLineage, datasetVersions: readonly DatasetLineage[]): LineageGraph {
  const step = model.produced_by?.step_run_id;
  const wanted = new Set((model.datasets ?? []).map((d) => `${d.name}:${d.version}`));
  const datasets = datasetVersions
    .filter((d) => wanted.has(`${d.name}:${d.version}`))
    .map((d) => ({
      name: d.name,
      version: d.version,
      produced_by: d.produced_by ?? null,
      consumed_by: step ? (d.consumed_by ?? []).filter((c) => c.step_run_id === step) : [],
    }));
  return buildLineage({ datasets, models: [model] }, modelNodeId(model));
}
