import { describe, expect, it } from "vitest";
import { shortId, triggerOf } from "./trigger";

describe("triggerOf", () => {
  it("reads what started a run from duto's tags", () => {
    expect(triggerOf({ resubmitted_from: "0123456789abcdef", pipeline_id: "p" })).toEqual({
      what: "Re-submit of",
      name: "01234567",
      to: "/runs/0123456789abcdef",
    });
    expect(triggerOf({ schedule: "nightly", schedule_id: "s1", pipeline_id: "p" }).what).toBe("Schedule");
    expect(triggerOf({ pipeline_id: "abcdef0123", pipeline_endpoint_id: "e", pipeline_endpoint_version: "2" })).toEqual({
      what: "Endpoint",
      name: "version 2",
      to: "/pipelines/abcdef0123",
    });
    expect(triggerOf({ pipeline_id: "abcdef0123" })).toEqual({ what: "Published pipeline", name: "abcdef01", to: "/pipelines/abcdef0123" });
    expect(triggerOf({ team: "vision" }).what).toBe("Submitted");
  });

  it("shortens an id to its first 8 characters", () => {
    expect(shortId("0b2f6a1c-1111-2222")).toBe("0b2f6a1c");
  });
});
