import { describe, expect, it } from "vitest";
import { lastRuns, type Schedule, whenItFires } from "./scheduleWords";

function schedule(fields: Partial<Schedule>): Schedule {
  return {
    id: "s1",
    name: "nightly",
    description: null,
    status: "Active",
    pipeline_id: "p1",
    pipeline_endpoint_id: null,
    experiment_name: "e",
    recurrence: null,
    recurrence_text: null,
    datastore: null,
    path_on_datastore: null,
    polling_interval: null,
    data_path_parameter_name: null,
    pipeline_parameters: {},
    continue_on_step_failure: null,
    catch_up: "latest",
    stopped_reason: null,
    created_at: "2026-06-01T00:00:00+00:00",
    last_tick: null,
    next_fire_times: [],
    ...fields,
  };
}

describe("when a schedule fires", () => {
  it("is the recurrence in the server's words", () => {
    const daily = schedule({ recurrence: { frequency: "Day" }, recurrence_text: "every day at 02:00 (UTC)" });
    expect(whenItFires(daily)).toBe("every day at 02:00 (UTC)");
  });

  it("is a change under a watched path, with how often it is looked at", () => {
    const watched = schedule({ datastore: "blob", path_on_datastore: "incoming/", polling_interval: 5 });
    expect(whenItFires(watched)).toBe("when blob/incoming changes (looked at every 5 minutes)");
    expect(whenItFires(schedule({ datastore: "blob", path_on_datastore: "x", polling_interval: 1 }))).toBe(
      "when blob/x changes (looked at every minute)",
    );
  });
});

describe("a schedule's last run", () => {
  it("is the newest run tagged with its id", () => {
    const run = (id: string, schedule?: string) => ({
      id,
      experiment: "e",
      status: "Finished",
      reason: null,
      created: null,
      started: null,
      ended: null,
      duration_seconds: null,
      reused: false,
      tags: schedule ? { schedule_id: schedule } : {},
      parameters: {},
    });
    const found = lastRuns([run("new", "a"), run("plain"), run("old", "a"), run("b1", "b")]);
    expect([...found].map(([s, r]) => [s, r.id])).toEqual([
      ["a", "new"],
      ["b", "b1"],
    ]);
  });
});
