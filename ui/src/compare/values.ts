// How the compare page shows values side by side: numbers of a row rounded alike, the best of a row, what
// differs from the baseline, and what kind of thing a value is (a table, a list, an image).

export type Goal = "auto" | "higher" | "lower";

export type ValueKind = "missing" | "number" | "text" | "table" | "list" | "image" | "other";

// Names whose smaller value is the better one; any other number is better larger.
const LOWER_IS_BETTER = /(loss|error|err$|_err|mse|mae|rmse|mape|perplexity|ppl|wer|cer|latency|duration|seconds|time$|_time|regret|cost|distance)/i;

export function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** A table metric (`log_table`, `log_row`): columns, each a list of values. */
export function isTable(value: unknown): value is Record<string, unknown[]> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const columns = Object.values(value);
  return columns.length > 0 && columns.every(Array.isArray);
}

export function kindOf(value: unknown, image = false): ValueKind {
  if (value === null || value === undefined) return "missing";
  if (image && typeof value === "string") return "image";
  if (isNumber(value)) return "number";
  if (typeof value === "string" || typeof value === "boolean") return "text";
  if (isTable(value)) return "table";
  if (Array.isArray(value)) return "list";
  return "other";
}

/** How many rows a table metric has (its longest column). */
export function tableRows(table: Record<string, unknown[]>): number {
  return Math.max(0, ...Object.values(table).map((column) => column.length));
}

/** Whether a smaller value is the better one for a metric of this name, as `goal` says or its name suggests
 * (loss, error, mse, latency...: lower; anything else: higher). The part after the last `/` is the name. */
export function lowerIsBetter(name: string, goal: Goal = "auto"): boolean {
  if (goal !== "auto") return goal === "lower";
  return LOWER_IS_BETTER.test(name.slice(name.lastIndexOf("/") + 1));
}

/** The indices of the best value of a row (several when tied), or [] when fewer than two runs have a number or
 * all their numbers are equal: nothing to pick. */
export function bestOf(values: unknown[], lower: boolean): number[] {
  const numbers = values.flatMap((v, i) => (isNumber(v) ? [[v, i] as const] : []));
  if (numbers.length < 2) return [];
  const best = lower ? Math.min(...numbers.map(([v]) => v)) : Math.max(...numbers.map(([v]) => v));
  if (numbers.every(([v]) => v === best)) return [];
  return numbers.filter(([v]) => v === best).map(([, i]) => i);
}

/** The decimals that show a row's numbers alike: as many as the most precise of them has, at most four
 * significant digits of the smallest (more where two numbers that differ would otherwise read the same), none
 * for integers, at most 8. */
export function rowDecimals(values: unknown[]): number {
  const numbers = values.filter(isNumber);
  if (numbers.every(Number.isInteger)) return 0;
  const written = Math.max(...numbers.map(decimalsWritten));
  const smallest = Math.min(...numbers.filter((v) => v !== 0).map(Math.abs));
  const significant = Number.isFinite(smallest) ? Math.max(0, 3 - Math.floor(Math.log10(smallest))) : 2;
  let decimals = Math.min(8, written, significant);
  const distinct = new Set(numbers);
  while (decimals < 8 && new Set(numbers.map((v) => v.toFixed(decimals))).size < distinct.size) decimals++;
  return decimals;
}

/** How many decimals a number has as it is written at its shortest (0.25: 2; 1e-7: 7). */
function decimalsWritten(value: number): number {
  const [digits = "", exponent = "0"] = String(Math.abs(value)).split("e");
  const fraction = digits.split(".")[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** A number as the row shows it: `decimals` places, or in exponent form when very large or very small. */
export function formatNumber(value: number, decimals: number): string {
  const size = Math.abs(value);
  if (value !== 0 && (size >= 1e9 || size < 1e-5)) return value.toExponential(3);
  if (Number.isInteger(value) && decimals === 0) return String(value);
  return value.toFixed(decimals);
}

/** A value in one line of text: numbers as they are (rounded to 6 digits), the rest as JSON. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `value - baseline` signed ("+0.1", "−2"), or "" when either is not a number or they are equal. */
export function delta(baseline: unknown, value: unknown): string {
  if (!isNumber(baseline) || !isNumber(value) || baseline === value) return "";
  const change = Number((value - baseline).toPrecision(3));
  return change > 0 ? `+${change}` : `−${Math.abs(change)}`;
}

/** Whether a run's value differs from the baseline's (the first). */
export function differsFromBaseline(values: unknown[], index: number): boolean {
  return index > 0 && JSON.stringify(values[index] ?? null) !== JSON.stringify(values[0] ?? null);
}

export interface Group<T> {
  name: string;
  rows: T[];
}

/** Rows grouped by what comes before the last `/` of their name (a step's metrics under the step's key), the
 * run's own first; names keep their order inside a group. */
export function groupRows<T extends { name: string }>(rows: T[], ownGroup = "run"): Group<T>[] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const cut = row.name.lastIndexOf("/");
    const group = cut === -1 ? ownGroup : row.name.slice(0, cut);
    groups.set(group, [...(groups.get(group) ?? []), row]);
  }
  return [...groups].map(([name, grouped]) => ({ name, rows: grouped }));
}

/** A row's name without its group. */
export function shortName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}
