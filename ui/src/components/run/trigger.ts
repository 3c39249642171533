// Who or what started a run, read from the tags duto gives the runs it starts for someone: a schedule, a published
// pipeline (and the endpoint it was triggered through), a re-submit. A run with none was submitted from code.

export interface Trigger {
  what: string;
  name: string;
  to: string | null;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function triggerOf(tags: Record<string, unknown>): Trigger {
  const tag = (key: string) => (typeof tags[key] === "string" ? (tags[key] as string) : null);
  const resubmitted = tag("resubmitted_from");
  if (resubmitted) return { what: "Re-submit of", name: shortId(resubmitted), to: `/runs/${resubmitted}` };
  const schedule = tag("schedule");
  if (schedule) return { what: "Schedule", name: schedule, to: "/schedules" };
  const pipeline = tag("pipeline_id");
  const endpoint = tag("pipeline_endpoint_id");
  if (endpoint) {
    const version = tag("pipeline_endpoint_version");
    return { what: "Endpoint", name: version ? `version ${version}` : endpoint, to: pipeline ? `/pipelines/${pipeline}` : null };
  }
  if (pipeline) return { what: "Published pipeline", name: shortId(pipeline), to: `/pipelines/${pipeline}` };
  return { what: "Submitted", name: "from code (SDK or CLI)", to: null };
}
