import { describe, expect, it } from "vitest";
import {
  byStart,
  followFrom,
  hasMore,
  keepEnd,
  type LogSection,
  matchingLines,
  mergeLogs,
  type StepLogPart,
} from "./runLog";

function part(id: string, offset: number, text: string, extra: Partial<StepLogPart> = {}): StepLogPart {
  const size = offset + text.length;
  return { id, key: id, name: id, status: "Running", started: null, offset, next_offset: size, size, text, ...extra };
}

describe("mergeLogs", () => {
  it("appends a part that continues a section and replaces one that does not", () => {
    const first = mergeLogs({}, [part("a", 10, "tail\n"), part("b", 0, "")]);
    expect(first.a).toMatchObject({ start: 10, next: 15, text: "tail\n" });
    const second = mergeLogs(first, [part("a", 15, "more\n", { status: "Finished" }), part("b", 0, "hi\n")]);
    expect(second.a).toMatchObject({ start: 10, next: 20, text: "tail\nmore\n", status: "Finished" });
    expect(second.b).toMatchObject({ start: 0, next: 3, text: "hi\n" });
    const replaced = mergeLogs(second, [part("a", 100, "new tail\n"), part("b", 3, "")]);
    expect(replaced.a).toMatchObject({ start: 100, text: "new tail\n" });
    expect(replaced.b!.text).toBe("hi\n");
  });

  it("asks each known step from where its text ends", () => {
    const held = mergeLogs({}, [part("a", 4, "xy"), part("b", 0, "")]);
    expect(followFrom(held)).toEqual(["a:6", "b:0"]);
  });
});

describe("what the page holds", () => {
  it("keeps a step's newest lines, its start moved by the bytes cut", () => {
    expect(keepEnd("short", 10)).toEqual({ text: "short", cutBytes: 0 });
    expect(keepEnd("é1\nline2\nline3\n", 9)).toEqual({ text: "line3\n", cutBytes: 10 });
    const held = mergeLogs(mergeLogs({}, [part("a", 0, "one\ntwo\n")], 8), [part("a", 8, "three\n")], 8);
    expect(held.a).toMatchObject({ text: "three\n", start: 8, next: 14 });
  });

  it("sees a step left unread", () => {
    expect(hasMore(mergeLogs({}, [part("a", 0, "xy", { size: 10 })]))).toBe(true);
    expect(hasMore(mergeLogs({}, [part("a", 0, "xy")]))).toBe(false);
  });
});

describe("byStart", () => {
  it("orders by start time, steps not started last in their order", () => {
    const s = (id: string, started: string | null) => ({ id, started }) as LogSection;
    const order = byStart([s("late", "2026-01-01T00:00:05Z"), s("none1", null), s("early", "2026-01-01T00:00:01Z"), s("none2", null)]);
    expect(order.map((x) => x.id)).toEqual(["early", "late", "none1", "none2"]);
  });
});

describe("matchingLines", () => {
  it("finds lines case aside, numbered from 1", () => {
    expect(matchingLines("Epoch 1\nloss 0.5\nEPOCH 2\n", "epoch")).toEqual([
      { number: 1, text: "Epoch 1" },
      { number: 3, text: "EPOCH 2" },
    ]);
    expect(matchingLines("", "x")).toEqual([]);
  });
});
