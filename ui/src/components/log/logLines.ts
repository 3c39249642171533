// A log as lines, grown in place as text arrives, and the lines a search finds: plain functions the log view uses.

/** Add `text` to `lines` in place; the last line is the one still being written ("" after a newline). */
export function appendText(lines: string[], text: string): void {
  if (text === "") return;
  const parts = text.replace(/\r\n/g, "\n").split("\n");
  lines[lines.length - 1] += parts[0]!;
  for (let i = 1; i < parts.length; i++) lines.push(parts[i]!);
}

/** How many lines to show: the last one only when something was written on it. */
export function shownLines(lines: string[]): number {
  return lines[lines.length - 1] === "" ? lines.length - 1 : lines.length;
}

/** The index of every shown line holding `query` (any case), at most `limit` of them. */
export function matchingLines(lines: string[], query: string, limit = 100_000): number[] {
  if (!query) return [];
  const wanted = query.toLowerCase();
  const found: number[] = [];
  const count = shownLines(lines);
  for (let i = 0; i < count && found.length < limit; i++) {
    if (lines[i]!.toLowerCase().includes(wanted)) found.push(i);
  }
  return found;
}

/** A line cut around each match of `query`: the plain text between, and the matches to mark. */
export function splitMatches(line: string, query: string): { text: string; match: boolean }[] {
  if (!query) return [{ text: line, match: false }];
  const lower = line.toLowerCase();
  const wanted = query.toLowerCase();
  const parts: { text: string; match: boolean }[] = [];
  let at = 0;
  for (let found = lower.indexOf(wanted); found !== -1; found = lower.indexOf(wanted, found + wanted.length)) {
    if (found > at) parts.push({ text: line.slice(at, found), match: false });
    parts.push({ text: line.slice(found, found + wanted.length), match: true });
    at = found + wanted.length;
  }
  if (at < line.length || parts.length === 0) parts.push({ text: line.slice(at), match: false });
  return parts;
}
