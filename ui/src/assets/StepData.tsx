import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { runDataKey } from "../components/run/queries";
import { dataOfStep, unreadNote } from "./assets";
import { datasetHref, modelHref } from "./lineage";

/** The registered datasets a step read and produced, and the models its code registered, each linked to its page
 * (versions unregistered since are named, unlinked).
 * One answer for the whole run (`GET /api/runs/{id}/data`), cached by run: every step's tab reads it. `started` is
 * the step's start from the run's outline: a step that never started read nothing, though its reads are listed. */
/** A version's name and number, linked to its page while it is registered (an unregistered one has none). */
function VersionLink(props: { name: string; version: number; unregistered: boolean; href: string }) {
  const label = `${props.name} v${props.version}`;
  if (props.unregistered) {
    return (
      <span title="unregistered since: it has no page of its own now">
        {label} <span className="muted">(unregistered)</span>
      </span>
    );
  }
  return <Link to={props.href}>{label}</Link>;
}

export function StepData(props: { runId: string; stepRunId: string; started: string | null | undefined }) {
  const { runId, stepRunId, started } = props;
  const data = useQuery({
    queryKey: runDataKey(runId),
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}/data", { params: { path: { run_id: runId } } })),
  });
  if (!data.data) {
    return <p className="muted">{data.error ? `Could not load the registered data: ${data.error.message}` : "Loading…"}</p>;
  }
  const found = dataOfStep(data.data.steps, stepRunId);
  if (!found) {
    return <p className="muted">This step read and registered no registered datasets or models.</p>;
  }
  const note = unreadNote(found.status, started);
  return (
    <dl className="facts compact step-data" data-testid="step-data">
      {found.read.length > 0 && (
        <div>
          <dt>Read</dt>
          <dd>
            {found.read.map((d) => (
              <div key={`${d.input_name} ${d.name} ${d.version}`}>
                <VersionLink {...d} href={datasetHref(d)} /> <span className="muted">as {d.input_name}</span>
              </div>
            ))}
            {note && (
              <div className="muted" data-testid="step-data-unread">
                ({note})
              </div>
            )}
          </dd>
        </div>
      )}
      {found.produced.length > 0 && (
        <div>
          <dt>Produced</dt>
          <dd>
            {found.produced.map((d) => (
              <div key={`${d.name} ${d.version}`}>
                <VersionLink {...d} href={datasetHref(d)} />
              </div>
            ))}
          </dd>
        </div>
      )}
      {found.models.length > 0 && (
        <div>
          <dt>Models</dt>
          <dd>
            {found.models.map((m) => (
              <div key={`${m.name} ${m.version}`}>
                <VersionLink {...m} href={modelHref(m)} />
              </div>
            ))}
          </dd>
        </div>
      )}
    </dl>
  );
}
