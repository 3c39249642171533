// The first bytes of a file from the API, without reading the rest: a Range request, and the body read only
// until enough came (a server that ignores Range still stops sending once the reader is cancelled).

export interface Head {
  bytes: Uint8Array;
  /** Whether the file goes on past what was read. */
  cut: boolean;
}

export async function readHead(url: string, limit: number, size: number): Promise<Head> {
  const response = await fetch(url, { headers: { Range: `bytes=0-${limit - 1}` }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let read = 0;
  if (reader) {
    while (read < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      read += value.length;
    }
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(read, limit));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
    if (at >= bytes.length) break;
  }
  return { bytes, cut: size > bytes.length };
}
