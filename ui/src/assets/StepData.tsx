import { useQueries, useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { stepData } from "./assets";
import { datasetHref, modelHref } from "./lineage";

/** The registered datasets a step read and produced, and the models it registered, each linked to its page.
 * The runs' routes do not name them, so they are found in each dataset's lineage and in the models' versions. */
export function StepData({ stepRunId }: { stepRunId: string }) {
  const datasets = useQuery({ queryKey: ["datasets"], queryFn: () => unwrap(api.GET("/api/datasets")) });
  const models = useQuery({ queryKey: ["models"], queryFn: () => unwrap(api.GET("/api/models")) });
  const lineages = useQueries({
    queries: (datasets.data ?? []).map((d) => ({
      queryKey: ["dataset-lineage", d.name],
      queryFn: () => unwrap(api.GET("/api/datasets/{name}/lineage", { params: { path: { name: d.name } } })),
    })),
  });
  if (!datasets.data || !models.data || lineages.some((l) => !l.data)) {
    const failed = datasets.error ?? models.error ?? lineages.find((l) => l.error)?.error;
    return <p className="muted">{failed ? `Could not load the registered data: ${failed.message}` : "Loading…"}</p>;
  }
  const found = stepData(stepRunId, lineages.map((l) => l.data ?? []), models.data);
  if (found.read.length + found.produced.length + found.models.length === 0) {
    return <p className="muted">This step read and registered no registered datasets or models.</p>;
  }
  return (
    <dl className="facts compact step-data" data-testid="step-data">
      {found.read.length > 0 && (
        <div>
          <dt>Read</dt>
          <dd>
            {found.read.map((d) => (
              <div key={`${d.input} ${d.name} ${d.version}`}>
                <Link to={datasetHref(d)}>
                  {d.name} v{d.version}
                </Link>{" "}
                <span className="muted">as {d.input}</span>
              </div>
            ))}
          </dd>
        </div>
      )}
      {found.produced.length > 0 && (
        <div>
          <dt>Produced</dt>
          <dd>
            {found.produced.map((d) => (
              <div key={`${d.name} ${d.version}`}>
                <Link to={datasetHref(d)}>
                  {d.name} v{d.version}
                </Link>
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
                <Link to={modelHref(m)}>
                  {m.name} v{m.version}
                </Link>
              </div>
            ))}
          </dd>
        </div>
      )}
    </dl>
  );
}
