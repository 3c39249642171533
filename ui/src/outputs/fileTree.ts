// A step's outputs as a tree: each output a folder of its files, with the folders their paths name.

export interface FileNode {
  kind: "file";
  name: string;
  /** The node's id in the tree: the output's name, then the path inside it. */
  id: string;
  output: string;
  path: string;
  size: number;
}

export interface FolderNode {
  kind: "folder";
  name: string;
  id: string;
  children: TreeNode[];
  size: number;
  files: number;
}

export type TreeNode = FileNode | FolderNode;

export interface OutputListing {
  name: string;
  files: { path: string; size: number }[];
}

function folder(name: string, id: string): FolderNode {
  return { kind: "folder", name, id, children: [], size: 0, files: 0 };
}

function sortTree(node: FolderNode): void {
  node.children.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "folder" ? -1 : 1));
  for (const child of node.children) if (child.kind === "folder") sortTree(child);
}

/** One folder per output, holding its files under the folders of their paths (folders first, then by name). */
export function buildTree(outputs: OutputListing[]): FolderNode[] {
  return outputs.map((output) => {
    const root = folder(output.name, output.name);
    for (const file of output.files) {
      const parts = file.path.split("/");
      let here = root;
      const trail: FolderNode[] = [root];
      parts.slice(0, -1).forEach((part, i) => {
        const id = `${output.name}/${parts.slice(0, i + 1).join("/")}`;
        let next = here.children.find((c): c is FolderNode => c.kind === "folder" && c.name === part);
        if (!next) {
          next = folder(part, id);
          here.children.push(next);
        }
        here = next;
        trail.push(next);
      });
      const name = parts[parts.length - 1]!;
      here.children.push({ kind: "file", name, id: `${output.name}/${file.path}`, output: output.name, path: file.path, size: file.size });
      for (const f of trail) {
        f.size += file.size;
        f.files += 1;
      }
    }
    sortTree(root);
    return root;
  });
}

/** The first file of the tree, depth first: what to preview before anything is picked. */
export function firstFile(nodes: TreeNode[]): FileNode | null {
  for (const node of nodes) {
    if (node.kind === "file") return node;
    const found = firstFile(node.children);
    if (found) return found;
  }
  return null;
}

/** A size as people read it: 999 B, 1.2 KiB, 3.4 MiB. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
