import { useState, type FormEvent } from "react";
import { ThemeToggle } from "../components/ThemeToggle";
import { useSignIn } from "../session/useSession";

/** The token the address bar carried when the server refused it (it answered the page with 401); dropped from the
 * address bar at once, so it stays in neither the history nor a shared link. */
function takeRefusedToken(): boolean {
  const url = new URL(window.location.href);
  if (!url.searchParams.has("token")) return false;
  url.searchParams.delete("token");
  window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  return true;
}

export function SignIn() {
  const [refused] = useState(takeRefusedToken);
  const [token, setToken] = useState("");
  const signIn = useSignIn();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) signIn.mutate(token.trim());
  };

  const error = signIn.error
    ? sentence(signIn.error.message)
    : refused
      ? "The token in the link is not one of this workspace's, or it was revoked or has expired."
      : null;

  return (
    <div className="signin">
      <div className="signin-theme">
        <ThemeToggle />
      </div>
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand signin-brand">
          <span className="brand-mark" aria-hidden="true" />
          duto
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">
          Open the sign-in link that <code>duto server</code> printed when it started, or paste a token here.
        </p>
        <label className="field">
          <span>Token</span>
          <input
            className="input"
            name="token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="duto_…"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            autoFocus
          />
        </label>
        {error && (
          <p className="notice" role="alert">
            {error}
          </p>
        )}
        <button className="button primary signin-submit" type="submit" disabled={signIn.isPending || !token.trim()}>
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted signin-help">
          No token? On the workspace's machine, make one that can only read:
        </p>
        <pre>
          <code>duto token create me --scope read</code>
        </pre>
      </form>
    </div>
  );
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? "" : ".");
}
