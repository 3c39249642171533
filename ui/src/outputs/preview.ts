// How a file of an output is previewed, and the small parsing that takes: CSV rows, and whether bytes are text.

export type PreviewKind = "image" | "csv" | "json" | "text";

const IMAGES = new Set(["png", "jpg", "jpeg", "gif", "webp", "svg", "bmp"]);

export function previewKind(path: string): PreviewKind {
  const extension = path.toLowerCase().split(".").pop() ?? "";
  if (IMAGES.has(extension)) return "image";
  if (extension === "csv" || extension === "tsv") return "csv";
  if (extension === "json" || extension === "ipynb") return "json";
  return "text";
}

/** Whether bytes look like binary: a NUL among them, as git decides. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * Up to `maxRows` records of CSV text (quoted fields with commas, doubled quotes and line breaks inside), with
 * whether there was more. A last line cut short by the preview's byte limit is left out.
 */
export function parseCsv(
  text: string,
  maxRows: number,
  cut: boolean,
  delimiter = ",",
): { rows: string[][]; more: boolean } {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      if (rows.length > maxRows) return { rows: rows.slice(0, maxRows), more: true };
    } else field += c;
  }
  if (!cut && (field !== "" || row.length)) {
    row.push(field);
    rows.push(row);
  }
  return { rows: rows.slice(0, maxRows), more: cut || rows.length > maxRows };
}
