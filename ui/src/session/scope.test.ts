import { describe, expect, it } from "vitest";
import { allows } from "./scope";

describe("scopes", () => {
  it("let a higher scope do what a lower one may, and an unknown one nothing", () => {
    expect(allows("admin", "submit")).toBe(true);
    expect(allows("submit", "submit")).toBe(true);
    expect(allows("read", "submit")).toBe(false);
    expect(allows("submit", "admin")).toBe(false);
    expect(allows(undefined, "read")).toBe(false);
    expect(allows("root", "read")).toBe(false);
  });
});
