import { Link, useParams } from "react-router-dom";
import { StepEnvironment, StepMetrics, StepOutputs, StepWhy } from "../components/step";

/** One step of a run on a page of its own, with the parts the run page's side panel shows: a URL to share. */
export function StepPage() {
  const { runId = "", stepId = "" } = useParams();
  return (
    <div className="step-page">
      <div className="page-header">
        <div>
          <h1>{stepId}</h1>
          <p>
            Step of run{" "}
            <Link className="mono" to={`/runs/${runId}`}>
              {runId.slice(0, 12)}
            </Link>
          </p>
        </div>
      </div>
      {(
        [
          ["Why it ran", StepWhy],
          ["Metrics", StepMetrics],
          ["Outputs", StepOutputs],
          ["Environment", StepEnvironment],
        ] as const
      ).map(([title, Part]) => (
        <section key={title} className="card step-section" aria-label={title}>
          <header className="card-header">
            <h2>{title}</h2>
          </header>
          <div className="step-section-body">
            <Part runId={runId} stepId={stepId} />
          </div>
        </section>
      ))}
    </div>
  );
}
