import { describe, expect, it } from "vitest";
import { buildTree, firstFile, formatSize, type TreeNode } from "./fileTree";
import { looksBinary, parseCsv, previewKind } from "./preview";

describe("buildTree", () => {
  it("puts each output's files under their folders, folders first, with sizes summed", () => {
    const tree = buildTree([
      {
        name: "model",
        files: [
          { path: "z.txt", size: 1 },
          { path: "sub/b.txt", size: 2 },
          { path: "sub/deep/c.txt", size: 3 },
          { path: "a.txt", size: 4 },
        ],
      },
      { name: "empty", files: [] },
    ]);
    const model = tree[0]!;
    const empty = tree[1]!;
    expect(model.children.map((c) => c.name)).toEqual(["sub", "a.txt", "z.txt"]);
    expect(model.size).toBe(10);
    expect(model.files).toBe(4);
    const sub = model.children[0]!;
    expect(sub.kind === "folder" && sub.children.map((c: TreeNode) => c.id)).toEqual(["model/sub/deep", "model/sub/b.txt"]);
    expect(sub.kind === "folder" && sub.size).toBe(5);
    expect(firstFile([empty, model])?.path).toBe("sub/deep/c.txt");
    expect(empty.children).toEqual([]);
  });

  it("formats sizes", () => {
    expect(formatSize(999)).toBe("999 B");
    expect(formatSize(1536)).toBe("1.5 KiB");
    expect(formatSize(30 * 1024 * 1024)).toBe("30 MiB");
  });
});

describe("preview", () => {
  it("picks a preview by extension", () => {
    expect(previewKind("a/b.PNG")).toBe("image");
    expect(previewKind("rows.csv")).toBe("csv");
    expect(previewKind("m.json")).toBe("json");
    expect(previewKind("log")).toBe("text");
  });

  it("parses quoted CSV and caps the rows", () => {
    const text = 'a,b\n"x, y","say ""hi"""\n"two\nlines",3\n4,5\n';
    expect(parseCsv(text, 10, false)).toEqual({
      rows: [["a", "b"], ["x, y", 'say "hi"'], ["two\nlines", "3"], ["4", "5"]],
      more: false,
    });
    expect(parseCsv(text, 2, false)).toEqual({ rows: [["a", "b"], ["x, y", 'say "hi"']], more: true });
    expect(parseCsv("a,b\n1,2\n3,", 10, true)).toEqual({ rows: [["a", "b"], ["1", "2"]], more: true });
  });

  it("tells binary from text", () => {
    expect(looksBinary(new Uint8Array([104, 105]))).toBe(false);
    expect(looksBinary(new Uint8Array([137, 80, 0, 1]))).toBe(true);
  });
});
