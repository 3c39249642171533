import { describe, expect, it } from "vitest";
import { elapsedSeconds, formatAgo, formatDuration } from "./time";

describe("formatDuration", () => {
  it.each([
    [null, "—"],
    [3.21, "3.2s"],
    [42, "42s"],
    [185, "3m 05s"],
    [7620, "2h 07m"],
    [3 * 86400 + 4 * 3600, "3d 4h"],
  ])("%s seconds reads %s", (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe("elapsedSeconds", () => {
  const now = Date.parse("2024-05-01T12:00:10Z");
  it("is the span between start and end", () => {
    expect(elapsedSeconds("2024-05-01T12:00:00Z", "2024-05-01T12:00:04Z", now)).toBe(4);
  });
  it("runs to now when there is no end", () => {
    expect(elapsedSeconds("2024-05-01T12:00:00Z", null, now)).toBe(10);
  });
  it("is unknown without a start", () => {
    expect(elapsedSeconds(null, null, now)).toBeNull();
  });
});

describe("formatAgo", () => {
  const now = Date.parse("2024-05-10T12:00:00Z");
  it.each([
    ["2024-05-10T11:59:50Z", "just now"],
    ["2024-05-10T11:55:00Z", "5 min ago"],
    ["2024-05-10T09:00:00Z", "3 h ago"],
    ["2024-05-08T12:00:00Z", "2 days ago"],
    ["2024-04-01T12:00:00Z", "2024-04-01"],
  ])("%s reads %s", (iso, expected) => {
    expect(formatAgo(iso, now)).toBe(expected);
  });
});
