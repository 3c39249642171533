import { describe, expect, it } from "vitest";
import { groupReasons, parseReason } from "./reasons";

describe("parseReason", () => {
  it("splits a changed parameter into old and new", () => {
    expect(parseReason("parameter lr: 0.1 -> 0.2")).toMatchObject({
      group: "arguments",
      subject: "parameter lr",
      change: "changed",
      before: "0.1",
      after: "0.2",
    });
  });

  it("reads code, data and environment sentences", () => {
    expect(parseReason("code: train.py changed (+3 -1 lines)")).toMatchObject({
      group: "code",
      subject: "train.py",
      change: "changed",
      detail: "+3 -1 lines",
    });
    expect(parseReason("code: util.py added")).toMatchObject({ group: "code", subject: "util.py", change: "added" });
    expect(parseReason("input 'prepped' changed because step 'prep' ran again")).toMatchObject({
      group: "data",
      subject: "'prepped'",
      change: "changed",
      detail: "because step 'prep' ran again",
    });
    expect(parseReason("file data/a.csv removed")).toMatchObject({ group: "data", subject: "data/a.csv", change: "removed" });
    expect(parseReason("environment: python 3.11.2 -> 3.12.1")).toMatchObject({
      group: "environment",
      subject: "python",
      before: "3.11.2",
      after: "3.12.1",
    });
    expect(parseReason("environment: package numpy: 1.26.0 -> 2.0.0")).toMatchObject({
      subject: "package numpy",
      before: "1.26.0",
      after: "2.0.0",
    });
    expect(parseReason("environment variable SEED: added (3)")).toMatchObject({
      group: "environment",
      change: "added",
      after: "3",
    });
  });

  it("keeps what it cannot split as a note", () => {
    expect(parseReason("first run of this step")).toMatchObject({ group: "other", change: "note" });
    expect(parseReason("command changed")).toMatchObject({ group: "code", change: "changed" });
  });
});

describe("groupReasons", () => {
  it("orders groups and leaves out empty ones", () => {
    const grouped = groupReasons(["environment: python 3 -> 4", "parameter lr: 1 -> 2", "code: a.py changed"]);
    expect(grouped.map(([g]) => g)).toEqual(["code", "arguments", "environment"]);
  });
});
