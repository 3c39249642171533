import { describe, expect, it } from "vitest";
import { tableColumns } from "./tables";

describe("tableColumns", () => {
  it("reads a table logged as columns of one length", () => {
    expect(tableColumns({ digit: [0, 1], f1: [0.9, 1] })).toEqual([
      ["digit", [0, 1]],
      ["f1", [0.9, 1]],
    ]);
  });

  it("refuses what is not a table", () => {
    expect(tableColumns({ a: [1, 2], b: [1] })).toBeNull();
    expect(tableColumns({ a: 1 })).toBeNull();
    expect(tableColumns([1, 2])).toBeNull();
    expect(tableColumns("text")).toBeNull();
    expect(tableColumns({})).toBeNull();
  });
});
