import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, type Schemas, unwrap } from "../api/client";
import { CopyButton } from "../components/CopyButton";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { useAllows } from "../session/scope";
import { formatAgo, formatDateTime } from "../time";

type Token = Schemas["TokenInfo"];
type Scope = Schemas["TokenCreate"]["scope"];

const EXPIRIES = [
  { value: "", label: "Never" },
  { value: "1d", label: "In a day" },
  { value: "30d", label: "In 30 days" },
  { value: "90d", label: "In 90 days" },
  { value: "365d", label: "In a year" },
];

/** `/tokens` (admin): the workspace's tokens, making one (its secret shown once) and revoking one. */
export function TokensPage() {
  const isAdmin = useAllows("admin");
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Tokens</h1>
          <p>Who may use this server: read looks, submit also triggers and cancels, admin also manages.</p>
        </div>
      </div>
      {isAdmin ? (
        <div className="stack">
          <CreateToken />
          <TokenList />
        </div>
      ) : (
        <section className="card">
          <EmptyState title="Tokens are managed with an admin token">
            <p>This session's token cannot list or make tokens. On the workspace's machine, make one with:</p>
            <pre>
              <code>duto token create NAME --scope read</code>
            </pre>
          </EmptyState>
        </section>
      )}
    </>
  );
}

function CreateToken() {
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Scope>("read");
  const [expires, setExpires] = useState("");
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/tokens", { body: { name: name.trim(), scope, expires_in: expires || null } })),
    onSuccess: () => {
      setName("");
      void client.invalidateQueries({ queryKey: ["tokens"] });
    },
  });
  return (
    <section className="card" aria-label="New token">
      <div className="card-header">
        <h2>New token</h2>
      </div>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <div className="form-row">
          <label className="field" style={{ flex: 2 }}>
            Name
            <input
              className="input"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="ci-nightly"
              pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*"
              required
            />
          </label>
          <label className="field">
            Scope
            <select className="input select" value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
              <option value="read">read</option>
              <option value="submit">submit</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label className="field">
            Expires
            <select className="input select" value={expires} onChange={(e) => setExpires(e.target.value)}>
              {EXPIRIES.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button primary form-end" disabled={create.isPending || !name.trim()}>
            Create token
          </button>
        </div>
        {create.error && (
          <p className="notice" role="alert">
            {create.error.message}
          </p>
        )}
        {create.data && (
          <div className="warning" role="status">
            <p>
              <strong>Copy the secret of {create.data.name} now:</strong> it is shown this once, and the server keeps
              only its hash.
            </p>
            <div className="secret">
              <code aria-label="The new token's secret">{create.data.token}</code>
              <CopyButton text={create.data.token} label="Copy secret" />
            </div>
          </div>
        )}
      </form>
    </section>
  );
}

function TokenList() {
  const tokens = useQuery({ queryKey: ["tokens"], queryFn: () => unwrap(api.GET("/api/tokens")) });
  const [revoking, setRevoking] = useState<Token | null>(null);
  const now = useNow(60_000);
  return (
    <section className="card" aria-label="Tokens">
      <div className="card-header">
        <h2>Tokens {tokens.data && <span className="count">{tokens.data.length}</span>}</h2>
      </div>
      {!tokens.data ? (
        <QueryState error={tokens.error} />
      ) : tokens.data.length === 0 ? (
        <EmptyState title="No tokens">
          <p>Make one above, or with <code>duto token create NAME --scope read</code>.</p>
        </EmptyState>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scope</th>
              <th>State</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Last used</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((token) => (
              <tr key={token.name}>
                <td className="mono">{token.name}</td>
                <td>
                  <span className="scope">{token.scope}</span>
                </td>
                <td>
                  <span className={`status ${token.state === "active" ? "finished" : token.state === "revoked" ? "failed" : "notstarted"}`}>
                    {token.state}
                  </span>
                  {token.revoked && <span className="sub muted">{formatDateTime(token.revoked)}</span>}
                </td>
                <td className="muted" title={formatDateTime(token.created)}>
                  {formatAgo(token.created, now)}
                </td>
                <td className="muted" title={formatDateTime(token.expires)}>
                  {token.expires ? formatDateTime(token.expires) : "never"}
                </td>
                <td className="muted" title={formatDateTime(token.last_used)}>
                  {token.last_used ? formatAgo(token.last_used, now) : "never"}
                </td>
                <td className="num">
                  {token.state === "active" && (
                    <button type="button" className="button small danger" onClick={() => setRevoking(token)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && <ConfirmRevoke token={revoking} onClose={() => setRevoking(null)} />}
    </section>
  );
}

function ConfirmRevoke({ token, onClose }: { token: Token; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/tokens/{name}", { params: { path: { name: token.name } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["tokens"] });
      onClose();
    },
  });
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="confirm" onClose={onClose} aria-labelledby="revoke-title">
      <h2 id="revoke-title">Revoke {token.name}?</h2>
      <p>
        Everything using this {token.scope} token is refused from now on, browsers signed in with it too. This cannot
        be undone: make a new token instead.
      </p>
      {revoke.error && (
        <p className="notice" role="alert">
          {revoke.error.message}
        </p>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" className="button danger solid" disabled={revoke.isPending} onClick={() => revoke.mutate()}>
          Revoke {token.name}
        </button>
      </div>
    </dialog>
  );
}
