// The v1 run statuses and how the portal shows each: a word and a colour class, never the colour alone.
export const STATUSES = [
  "NotStarted",
  "Queued",
  "Preparing",
  "Running",
  "Finished",
  "Failed",
  "Canceled",
] as const;

export type Status = (typeof STATUSES)[number];

const WORDS: Record<Status, string> = {
  NotStarted: "Not started",
  Queued: "Queued",
  Preparing: "Preparing",
  Running: "Running",
  Finished: "Finished",
  Failed: "Failed",
  Canceled: "Canceled",
};

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}

/** The word shown for a status; an unknown one is shown as it came. */
export function statusWord(value: string): string {
  return isStatus(value) ? WORDS[value] : value;
}

/** The CSS class of a status (tokens.css has one colour pair per status); an unknown one looks NotStarted. */
export function statusClass(value: string): string {
  return isStatus(value) ? value.toLowerCase() : "notstarted";
}

/** Whether a run in this status may still change. */
export function isActive(value: string): boolean {
  return value === "NotStarted" || value === "Queued" || value === "Preparing" || value === "Running";
}
