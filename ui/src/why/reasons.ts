// The sentences `duto why` gives for a step that ran (caching/explain.py), read back into rows of a diff: which
// part of the fingerprint (code, data, parameters and arguments, environment), what in it, and old against new.

export type Group = "code" | "data" | "arguments" | "environment" | "other";

export const GROUP_LABELS: Record<Group, string> = {
  code: "Code",
  data: "Data",
  arguments: "Parameters",
  environment: "Environment",
  other: "Run",
};

export interface ReasonRow {
  group: Group;
  subject: string;
  change: "changed" | "added" | "removed" | "note";
  before?: string;
  after?: string;
  detail?: string;
  text: string;
}

const PREFIXES: [Group, RegExp][] = [
  ["code", /^(code:|script:|command |step kind:|version:|hash_paths:)/],
  ["data", /^(input |file )/],
  ["arguments", /^(parameter |arguments:|params changed|declared outputs)/],
  ["environment", /^environment/],
];

function groupOf(text: string): Group {
  return PREFIXES.find(([, pattern]) => pattern.test(text))?.[0] ?? "other";
}

/** One sentence of `duto why` as a diff row; a sentence it cannot split is a note with the whole text. */
export function parseReason(text: string): ReasonRow {
  const group = groupOf(text);
  let rest = text;
  if (group === "environment") rest = rest.replace(/^environment: /, "");
  if (group === "code") rest = rest.replace(/^code: /, "");
  const python = /^python (\S+) -> (\S+)$/.exec(rest);
  if (python) return { group, subject: "python", change: "changed", before: python[1]!, after: python[2]!, text };
  const arrow = /^(.+?): (.*) -> (.*)$/.exec(rest);
  if (arrow) return { group, subject: arrow[1]!, change: "changed", before: arrow[2], after: arrow[3], text };
  const added = /^(.+?): added \((.*)\)$/.exec(rest);
  if (added) return { group, subject: added[1]!, change: "added", after: added[2], text };
  const removed = /^(.+?): removed$/.exec(rest);
  if (removed) return { group, subject: removed[1]!, change: "removed", text };
  const path = /^(?:hash_paths: |file |input )?(.+?) (changed|added|removed)(?: \((.*)\))?(?: (because .*))?$/.exec(rest);
  if (path && group !== "other") {
    const detail = path[3] ?? path[4];
    return { group, subject: path[1]!, change: path[2] as ReasonRow["change"], detail, text };
  }
  return { group, subject: rest, change: "note", text };
}

/** Rows grouped in the order code, data, parameters, environment, then anything else; empty groups left out. */
export function groupReasons(reasons: string[]): [Group, ReasonRow[]][] {
  const order: Group[] = ["code", "data", "arguments", "environment", "other"];
  const rows = reasons.map(parseReason);
  return order.map((g): [Group, ReasonRow[]] => [g, rows.filter((r) => r.group === g)]).filter(([, r]) => r.length);
}
