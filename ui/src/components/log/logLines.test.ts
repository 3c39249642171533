import { describe, expect, it } from "vitest";
import { appendText, matchingLines, shownLines, splitMatches } from "./logLines";

describe("log lines", () => {
  it("grows the last line in place and starts new ones at each newline", () => {
    const lines = [""];
    appendText(lines, "epoch 1 lo");
    appendText(lines, "ss 0.5\nepoch 2");
    appendText(lines, " loss 0.4\r\n");
    expect(lines).toEqual(["epoch 1 loss 0.5", "epoch 2 loss 0.4", ""]);
    expect(shownLines(lines)).toBe(2);
    appendText(lines, "partial");
    expect(shownLines(lines)).toBe(3);
  });

  it("finds the lines that hold a query, in any case", () => {
    const lines = ["Epoch 1", "loss", "epoch 2", ""];
    expect(matchingLines(lines, "EPOCH")).toEqual([0, 2]);
    expect(matchingLines(lines, "")).toEqual([]);
    expect(matchingLines(lines, "epoch", 1)).toEqual([0]);
  });

  it("cuts a line around its matches", () => {
    expect(splitMatches("a Loss and loss", "loss")).toEqual([
      { text: "a ", match: false },
      { text: "Loss", match: true },
      { text: " and ", match: false },
      { text: "loss", match: true },
    ]);
    expect(splitMatches("", "x")).toEqual([{ text: "", match: false }]);
  });

  it("keeps a 100,000-line log quick to grow and search", () => {
    const lines = [""];
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      appendText(lines, Array.from({ length: 100 }, (_, j) => `step ${i * 100 + j} loss 0.${j}`).join("\n") + "\n");
    }
    expect(shownLines(lines)).toBe(100_000);
    expect(matchingLines(lines, "step 99999 ")).toEqual([99_999]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
