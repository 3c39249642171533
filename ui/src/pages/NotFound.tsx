import { Link, useLocation } from "react-router-dom";

export function NotFound() {
  const { pathname } = useLocation();
  return (
    <section className="card empty" style={{ padding: "var(--space-6)" }}>
      <h1>Not found</h1>
      <p style={{ marginTop: "var(--space-3)" }}>
        The portal has no page at <code>{pathname}</code>.
      </p>
      <Link to="/" className="button">
        Go to the home page
      </Link>
    </section>
  );
}
