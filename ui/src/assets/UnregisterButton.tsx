import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useAllows } from "../session/scope";

type Kind = "dataset" | "model";

/** Unregister one version of a dataset or model (`DELETE /api/{datasets|models}/{name}?version=`), after a
 * confirmation that says what stays: the runs that read or made it still name it, and what they pinned is kept. A
 * session below admin sees it disabled, saying which scope it needs. */
export function UnregisterButton(props: { kind: Kind; name: string; version: number; versions: number }) {
  const { kind, name, version, versions } = props;
  const canUnregister = useAllows("admin");
  const [asking, setAsking] = useState(false);
  const client = useQueryClient();
  const navigate = useNavigate();
  const list = kind === "dataset" ? "/datasets" : "/models";
  const unregister = useMutation({
    mutationFn: () =>
      kind === "dataset"
        ? unwrap(api.DELETE("/api/datasets/{name}", { params: { path: { name }, query: { version: String(version) } } }))
        : unwrap(api.DELETE("/api/models/{name}", { params: { path: { name }, query: { version: String(version) } } })),
    onSuccess: async () => {
      setAsking(false);
      await client.invalidateQueries({ queryKey: kind === "dataset" ? ["dataset-lineage", name] : ["models"] });
      await client.invalidateQueries({ queryKey: kind === "dataset" ? ["datasets"] : ["models"] });
      // The page shows the newest version left, or the list when none is.
      navigate(versions > 1 ? `${list}/${encodeURIComponent(name)}` : list, { replace: true });
    },
  });
  if (!canUnregister) {
    return (
      <button type="button" className="button small" disabled title="Unregistering needs a session of scope admin.">
        Unregister
      </button>
    );
  }
  if (!asking) {
    return (
      <button
        type="button"
        className="button small"
        onClick={() => setAsking(true)}
        title={`Unregister version ${version} of this ${kind}: its number is never given again`}
      >
        Unregister…
      </button>
    );
  }
  return (
    <div className="unregister-confirm" role="alertdialog" aria-label={`Unregister ${name} v${version}`}>
      <span>
        Unregister <strong>{name} v{version}</strong>? Runs that read or made it keep naming it; <code>duto cache gc</code>{" "}
        reclaims its content unless a run or a published pipeline pins it.
      </span>
      {unregister.error && (
        <span className="notice" role="alert">
          {unregister.error.message}
        </span>
      )}
      <span className="unregister-actions">
        <button type="button" className="button small danger solid" onClick={() => unregister.mutate()} disabled={unregister.isPending}>
          {unregister.isPending ? "Unregistering…" : `Unregister v${version}`}
        </button>
        <button type="button" className="button small" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </span>
    </div>
  );
}
