import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { CopyButton } from "../components/CopyButton";
import { statusWord } from "../status";
import {
  curlLine,
  EXPERIMENT,
  type FormValues,
  formFieldOf,
  initialValues,
  type Parameter,
  type Pipeline,
  parametersOf,
  type TriggerBody,
  triggerBody,
} from "./trigger";
import "./trigger.css";

class TriggerRefused extends Error {
  constructor(
    detail: string,
    readonly field: string | null,
  ) {
    super(detail);
  }
}

/** Where a trigger goes: the URL a POST starts a run at (shown, and in the `curl` line), the call that posts
 * there, and why it cannot start a run now (null when it can). */
export interface TriggerTarget {
  url: string;
  post: (body: TriggerBody) => Promise<{ data?: Schemas["TriggerAnswer"]; error?: unknown; response: Response }>;
  disabled: string | null;
}

/** A published pipeline's own trigger route. */
export function pipelineTarget(pipeline: Pipeline): TriggerTarget {
  return {
    url: pipeline.endpoint,
    post: (body) => api.POST("/api/pipelines/{id}/runs", { params: { path: { id: pipeline.id } }, body }),
    disabled: pipeline.status === "Active" ? null : "Disabled: enable it to trigger runs.",
  };
}

/** The trigger of a published pipeline: a typed input per parameter (its default filled in), the experiment,
 * the `curl` line for what is typed, and once started a link to the new run. It posts to the pipeline's own
 * route unless given another `target` (an endpoint's); `picker` goes above the inputs (an endpoint's version).
 * `canTrigger` false shows the `curl` line alone. */
export function TriggerForm({
  pipeline,
  canTrigger,
  target = pipelineTarget(pipeline),
  picker,
}: {
  pipeline: Pipeline;
  canTrigger: boolean;
  target?: TriggerTarget;
  picker?: React.ReactNode;
}) {
  const parameters = useMemo(() => parametersOf(pipeline), [pipeline]);
  const [values, setValues] = useState<FormValues>(() => initialValues(parameters));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const client = useQueryClient();
  const trigger = useMutation({
    mutationFn: async (body: TriggerBody) => {
      const { data, error, response } = await target.post(body);
      if (data) return data;
      const problem = (error ?? {}) as { detail?: unknown; field?: string | null };
      const detail = typeof problem.detail === "string" ? problem.detail : `${response.status} ${response.statusText}`;
      throw new TriggerRefused(detail, problem.field ?? null);
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["runs"] }),
    onError: (error) => {
      const field = error instanceof TriggerRefused ? formFieldOf(error.field, parameters) : null;
      if (field) setErrors({ [field]: error.message });
    },
  });
  const built = triggerBody(parameters, values);
  const shownBody = built.body ?? { ExperimentName: values[EXPERIMENT] ?? "" };
  const set = (key: string, value: string) => {
    setValues((was) => ({ ...was, [key]: value }));
    const field = key.split(".")[0] ?? key;
    setErrors((was) => {
      const { [field]: _gone, ...rest } = was;
      return rest;
    });
  };
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    if (built.errors) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    trigger.mutate(built.body);
  };
  const unplaced = trigger.error && !(trigger.error instanceof TriggerRefused && formFieldOf(trigger.error.field, parameters));

  const route = new URL(target.url);
  return (
    <section className="card" aria-label="Trigger">
      <div className="card-header trigger-head">
        <h2>Trigger a run</h2>
        <span className="sub clip" title={`POST ${target.url}`}>
          POST {route.pathname + route.search}
        </span>
      </div>
      {canTrigger ? (
        <form className="form" onSubmit={submit} noValidate>
          {picker}
          <Field name={EXPERIMENT} label="Experiment" type="required" error={errors[EXPERIMENT]}>
            <input
              id={`field-${EXPERIMENT}`}
              className="input"
              value={values[EXPERIMENT] ?? ""}
              placeholder={`e.g. ${pipeline.name}`}
              onChange={(event) => set(EXPERIMENT, event.target.value)}
              aria-invalid={Boolean(errors[EXPERIMENT])}
              aria-describedby={errors[EXPERIMENT] ? `error-${EXPERIMENT}` : undefined}
              required
            />
          </Field>
          {parameters.map((p) => (
            <ParameterInput key={p.name} parameter={p} values={values} set={set} error={errors[p.name]} />
          ))}
          {parameters.length === 0 && <p className="muted">This pipeline takes no parameters.</p>}
          <div className="form-row">
            <button type="submit" className="button primary" disabled={trigger.isPending || target.disabled !== null}>
              {trigger.isPending ? "Starting…" : "Trigger"}
            </button>
            {target.disabled && <span className="muted">{target.disabled}</span>}
          </div>
          {unplaced && (
            <p className="notice" role="alert">
              {trigger.error.message}
            </p>
          )}
          {trigger.data && !trigger.isPending && (
            <p className="success" role="status">
              Started run{" "}
              <Link to={`/runs/${encodeURIComponent(trigger.data.Id)}`} className="mono">
                {trigger.data.Id.slice(0, 8)}
              </Link>{" "}
              in {trigger.data.ExperimentName} ({statusWord(trigger.data.Status).toLowerCase()}).
            </p>
          )}
        </form>
      ) : (
        <div className="card-body stack">
          {picker}
          <p className="muted">This session's token may read only: trigger with a token of scope submit.</p>
        </div>
      )}
      <div className="card-body curl">
        <div className="curl-head">
          <span className="muted">The same trigger from a shell (a token of scope submit in $TOKEN):</span>
          <CopyButton text={curlLine(target.url, shownBody)} label="Copy curl" />
        </div>
        <pre>
          <code>{curlLine(target.url, shownBody)}</code>
        </pre>
      </div>
    </section>
  );
}

function Field({
  name,
  label,
  type,
  error,
  children,
}: {
  name: string;
  label: string;
  type: string;
  error: string | undefined;
  children: React.ReactNode;
}) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={`field-${name}`}>
        <span className="mono">{label}</span>
        <span className="field-type">{type}</span>
      </label>
      {children}
      {error && (
        <span className="field-error" id={`error-${name}`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function ParameterInput({
  parameter,
  values,
  set,
  error,
}: {
  parameter: Parameter;
  values: FormValues;
  set: (key: string, value: string) => void;
  error: string | undefined;
}) {
  const { name, type } = parameter;
  const common = {
    id: `field-${name}`,
    "aria-invalid": Boolean(error),
    "aria-describedby": error ? `error-${name}` : undefined,
  };
  if (type === "bool") {
    return (
      <Field name={name} label={name} type={type} error={error}>
        <select {...common} className="input select" value={values[name] ?? "false"} onChange={(e) => set(name, e.target.value)}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      </Field>
    );
  }
  if (type === "datapath") {
    return (
      <Field name={name} label={name} type="DataPath: datastore, path" error={error}>
        <div className="form-row">
          <input
            {...common}
            className="input"
            style={{ width: "12rem" }}
            aria-label={`${name} datastore`}
            value={values[`${name}.datastore`] ?? ""}
            onChange={(e) => set(`${name}.datastore`, e.target.value)}
          />
          <input
            className="input"
            style={{ flex: 1, width: "auto" }}
            aria-label={`${name} path`}
            aria-invalid={Boolean(error)}
            value={values[`${name}.path`] ?? ""}
            onChange={(e) => set(`${name}.path`, e.target.value)}
          />
        </div>
      </Field>
    );
  }
  return (
    <Field name={name} label={name} type={type} error={error}>
      <input
        {...common}
        className="input"
        inputMode={type === "int" ? "numeric" : type === "float" ? "decimal" : undefined}
        value={values[name] ?? ""}
        onChange={(e) => set(name, e.target.value)}
      />
    </Field>
  );
}
