// How the compare page shows a value, and the change of a number from the baseline run.

export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** `value - baseline` signed ("+0.1", "−2"), or "" when either is not a number or they are equal. */
export function delta(baseline: unknown, value: unknown): string {
  if (typeof baseline !== "number" || typeof value !== "number" || baseline === value) return "";
  const change = Number((value - baseline).toPrecision(4));
  return change > 0 ? `+${change}` : `−${Math.abs(change)}`;
}
