import { describe, expect, it } from "vitest";
import { STATUSES, isActive, statusClass, statusWord } from "./status";

describe("status", () => {
  it("gives every v1 status a word and a class of its own", () => {
    const words = STATUSES.map(statusWord);
    const classes = STATUSES.map(statusClass);
    expect(new Set(words).size).toBe(STATUSES.length);
    expect(new Set(classes).size).toBe(STATUSES.length);
    expect(statusWord("NotStarted")).toBe("Not started");
  });
  it("shows an unknown status as it came", () => {
    expect(statusWord("Paused")).toBe("Paused");
    expect(statusClass("Paused")).toBe("notstarted");
  });
  it("knows which statuses may still change", () => {
    expect(STATUSES.filter(isActive)).toEqual(["NotStarted", "Queued", "Preparing", "Running"]);
  });
});
