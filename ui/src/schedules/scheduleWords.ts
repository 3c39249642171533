// A schedule in words, as its list shows it: what makes it fire, and which of the runs it started is its last.
import type { Schemas } from "../api/client";

export type Schedule = Schemas["ScheduleInfo"];
type Run = Schemas["RunSummary"];

function minutes(value: number): string {
  if (value === 1) return "every minute";
  if (Number.isInteger(value)) return `every ${value} minutes`;
  return `every ${value} min`;
}

/** What fires the schedule: its recurrence in the server's words, or the path it watches. */
export function whenItFires(schedule: Schedule): string {
  if (schedule.recurrence_text) return schedule.recurrence_text;
  if (schedule.path_on_datastore !== null || schedule.datastore !== null) {
    const where = `${schedule.datastore ?? "the default datastore"}/${schedule.path_on_datastore ?? ""}`.replace(/\/$/, "");
    const every = schedule.polling_interval ? ` (looked at ${minutes(schedule.polling_interval)})` : "";
    return `when ${where} changes${every}`;
  }
  return "never: it has no recurrence and watches no path";
}

/** Each schedule's newest run among `runs` (newest first, as the API lists them), by the tag a fired run has. */
export function lastRuns(runs: readonly Run[]): Map<string, Run> {
  const found = new Map<string, Run>();
  for (const run of runs) {
    const id = run.tags["schedule_id"];
    if (typeof id === "string" && !found.has(id)) found.set(id, run);
  }
  return found;
}
