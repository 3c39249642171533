import { useQuery } from "@tanstack/react-query";
import { type FileNode, formatSize } from "./fileTree";
import { JsonTree } from "./JsonTree";
import { looksBinary, parseCsv, previewKind } from "./preview";
import { readHead } from "./readHead";

const TEXT_LIMIT = 64 * 1024;
const JSON_LIMIT = 1024 * 1024;
const CSV_ROWS = 200;

function Cut({ shown, size }: { shown: number; size: number }) {
  return (
    <p className="muted preview-note">
      Showing the first {formatSize(shown)} of {formatSize(size)}; download the file for all of it.
    </p>
  );
}

/** A preview of one output file: an image inline, CSV as a table, JSON folded, anything else as text. */
export function FilePreview({ file, url }: { file: FileNode; url: string }) {
  const kind = previewKind(file.path);
  const limit = kind === "json" ? JSON_LIMIT : TEXT_LIMIT;
  const head = useQuery({
    queryKey: ["output-head", url, limit],
    queryFn: () => readHead(url, limit, file.size),
    enabled: kind !== "image",
    staleTime: Infinity,
  });
  if (kind === "image") {
    return <img className="preview-image" src={url} alt={file.path} />;
  }
  if (head.isPending) return <p className="muted">Loading {file.name}…</p>;
  if (head.isError) return <p className="notice">{file.name} could not be read: {head.error.message}</p>;
  const { bytes, cut } = head.data;
  if (looksBinary(bytes)) {
    return <p className="muted">A binary file ({formatSize(file.size)}): download it to open it.</p>;
  }
  const text = new TextDecoder().decode(bytes);
  if (kind === "csv") {
    const { rows, more } = parseCsv(text, CSV_ROWS, cut, file.path.toLowerCase().endsWith(".tsv") ? "\t" : ",");
    const [header, ...body] = rows;
    return (
      <div data-testid="csv-preview">
        <div className="scroll-box">
          <table className="table compact csv-table">
            <thead>
              <tr>
                <th className="num">#</th>
                {header?.map((cell, i) => <th key={i}>{cell}</th>)}
              </tr>
            </thead>
            <tbody>
              {body.map((row, r) => (
                <tr key={r}>
                  <td className="num muted">{r + 1}</td>
                  {row.map((cell, i) => (
                    <td key={i} className="mono">
                      {cell}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {more && (
          <p className="muted preview-note">
            Showing the first {body.length} rows of {formatSize(file.size)}; download the file for all of them.
          </p>
        )}
      </div>
    );
  }
  if (kind === "json" && !cut) {
    try {
      return (
        <div className="json-tree mono" data-testid="json-preview">
          <JsonTree value={JSON.parse(text)} />
        </div>
      );
    } catch {
      // Not valid JSON after all: shown as the text it is.
    }
  }
  return (
    <div data-testid="text-preview">
      <pre className="preview-text">
        <code>{text}</code>
      </pre>
      {cut && <Cut shown={bytes.length} size={file.size} />}
    </div>
  );
}
