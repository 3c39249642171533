import { describe, expect, it } from "vitest";
import { clampWidth, PANEL_DEFAULT, PANEL_MIN, readPanelWidth, stepTabOf, withSearch } from "./stepView";

describe("stepTabOf", () => {
  it("reads the tab from the URL, the log when none or unknown", () => {
    expect(stepTabOf(new URLSearchParams("tab=why"))).toBe("why");
    expect(stepTabOf(new URLSearchParams("tab=nope"))).toBe("log");
    expect(stepTabOf(new URLSearchParams(""))).toBe("log");
  });
});

describe("withSearch", () => {
  it("changes only the keys given", () => {
    const next = withSearch(new URLSearchParams("view=timeline&tab=log"), { tab: "metrics", full: null });
    expect(next.toString()).toBe("view=timeline&tab=metrics");
  });
});

describe("panel width", () => {
  it("is clamped to what the window holds", () => {
    expect(clampWidth(100, 1440)).toBe(PANEL_MIN);
    expect(clampWidth(5000, 1440)).toBe(1120);
    expect(clampWidth(700.4, 1440)).toBe(700);
  });

  it("is read back from storage, the default when nothing sensible is kept", () => {
    expect(readPanelWidth({ getItem: () => "640" }, 1440)).toBe(640);
    expect(readPanelWidth({ getItem: () => "abc" }, 1440)).toBe(PANEL_DEFAULT);
    expect(readPanelWidth({ getItem: () => null }, 1440)).toBe(PANEL_DEFAULT);
    expect(readPanelWidth(undefined, 600)).toBe(PANEL_MIN);
  });
});
