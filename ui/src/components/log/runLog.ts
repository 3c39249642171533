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

/** The sections after an answer: a part that continues a section (it starts where the section ends) is appended,
 * any other (a tail, a step seen for the first time) replaces it. Status and start time are always the newest. */
export function mergeLogs(was: LogSections, parts: StepLogPart[]): LogSections {
  const next: LogSections = {};
  for (const part of parts) {
    const old = was[part.id];
    const continues = old !== undefined && part.offset === old.next;
    next[part.id] = {
      id: part.id,
      name: part.name,
      status: part.status,
      started: part.started,
      start: continues ? old.start : part.offset,
      next: part.next_offset,
      size: part.size,
      text: continues ? old.text + part.text : part.text,
    };
  }
  return next;
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
