// The run-wide log's state: each step's text as the server gave it (GET /api/runs/{id}/logs), grown by what each
// answer adds, and the search over it. Plain functions, so they are tested without a browser.
import type { Schemas } from "../../api/client";

export type StepLogPart = Schemas["StepLogPart"];

/** One step's log as read so far: `start` is where `text` begins in the step's log (after a tail, not 0). */
export interface LogSection {
  id: string;
  name: string;
  status: string;
  started: string | null;
  start: number;
  next: number;
  size: number;
  text: string;
}

export type LogSections = Record<string, LogSection>;

/** Characters of a step's log the page holds at most: a step that writes for hours keeps its newest lines. */
export const HELD_MAX = 512 * 1024;

/** `text` cut to its last `most` characters from a line's start, and how many bytes (UTF-8) were cut. */
export function keepEnd(text: string, most: number): { text: string; cutBytes: number } {
  if (text.length <= most) return { text, cutBytes: 0 };
  let from = text.length - most;
  const newline = text.indexOf("\n", from);
  if (newline !== -1 && newline < text.length - 1) from = newline + 1;
  return { text: text.slice(from), cutBytes: new TextEncoder().encode(text.slice(0, from)).length };
}

/** The sections after an answer: a part that continues a section (it starts where the section ends) is appended,
 * any other (a tail, a step seen for the first time) replaces it. Status and start time are always the newest. */
export function mergeLogs(was: LogSections, parts: StepLogPart[], most = HELD_MAX): LogSections {
  const next: LogSections = {};
  for (const part of parts) {
    const old = was[part.id];
    const continues = old !== undefined && part.offset === old.next;
    const kept = keepEnd(continues ? old.text + part.text : part.text, most);
    next[part.id] = {
      id: part.id,
      name: part.name,
      status: part.status,
      started: part.started,
      start: (continues ? old.start : part.offset) + kept.cutBytes,
      next: part.next_offset,
      size: part.size,
      text: kept.text,
    };
  }
  return next;
}

/** Whether an answer left some step's text unread (past its size limit): the page asks again at once. */
export function hasMore(sections: LogSections): boolean {
  return Object.values(sections).some((s) => s.next < s.size);
}

/** The `from` values that ask for what each known step wrote after what is held. */
export function followFrom(sections: LogSections): string[] {
  return Object.values(sections).map((s) => `${s.id}:${s.next}`);
}

/** Sections in the order their steps started (steps not started last, in the run's order). */
export function byStart(sections: LogSection[]): LogSection[] {
  const at = (s: LogSection) => (s.started ? Date.parse(s.started) : Number.POSITIVE_INFINITY);
  return sections.map((s, i) => [s, i] as const).sort(([a, i], [b, j]) => at(a) - at(b) || i - j).map(([s]) => s);
}

export interface LogLine {
  number: number;
  text: string;
}

/** The lines of `text` that hold `query` (case aside), numbered from 1 (the first line held, after a tail). */
export function matchingLines(text: string, query: string): LogLine[] {
  const wanted = query.toLowerCase();
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const found: LogLine[] = [];
  lines.forEach((line, i) => {
    if (line.toLowerCase().includes(wanted)) found.push({ number: i + 1, text: line });
  });
  return found;
}
