// The open step's view, as the URL says it (so it can be shared): which tab (`?tab=`), beside the run or on a page
// of its own (`?full=1`); and the panel's width, remembered in this browser.

export const STEP_TABS = [
  ["log", "Log"],
  ["metrics", "Metrics"],
  ["outputs", "Outputs"],
  ["data", "Data"],
  ["environment", "Environment"],
  ["why", "Why"],
] as const;

export type StepTab = (typeof STEP_TABS)[number][0];

export function stepTabOf(search: URLSearchParams): StepTab {
  const asked = search.get("tab");
  return STEP_TABS.find(([tab]) => tab === asked)?.[0] ?? "log";
}

/** The search with `changes` applied (null removes a key); the rest (the run's own view) is kept. */
export function withSearch(search: URLSearchParams, changes: Record<string, string | null>): URLSearchParams {
  const next = new URLSearchParams(search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  return next;
}

export const PANEL_WIDTH_KEY = "duto.stepPanelWidth";
export const PANEL_MIN = 320;
export const PANEL_DEFAULT = 544;

/** A panel width the window can hold: at least PANEL_MIN, and leaving the run's view 320 px at least. */
export function clampWidth(width: number, windowWidth: number): number {
  const most = Math.max(PANEL_MIN, windowWidth - 320);
  return Math.round(Math.min(most, Math.max(PANEL_MIN, width)));
}

export function readPanelWidth(storage: Pick<Storage, "getItem"> | undefined, windowWidth: number): number {
  const kept = Number(storage?.getItem(PANEL_WIDTH_KEY));
  return clampWidth(Number.isFinite(kept) && kept > 0 ? kept : PANEL_DEFAULT, windowWidth);
}
