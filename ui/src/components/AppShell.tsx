import type { ReactNode } from "react";
import { Link, NavLink } from "react-router-dom";
import { ThemeToggle } from "./ThemeToggle";

const NAV = [
  { to: "/", label: "Home", end: true },
  { to: "/experiments", label: "Experiments", end: false },
  { to: "/pipelines", label: "Pipelines", end: false },
  { to: "/endpoints", label: "Endpoints", end: false },
  { to: "/datasets", label: "Data", end: false },
  { to: "/schedules", label: "Schedules", end: false },
  { to: "/compute", label: "Compute", end: false },
  { to: "/tokens", label: "Tokens", end: false },
];

/** The frame of every signed-in page: duto's name, the sections, who is signed in, the theme toggle. */
export function AppShell({ children, end }: { children: ReactNode; end?: ReactNode }) {
  return (
    <>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="duto home">
          <span className="brand-mark" aria-hidden="true" />
          duto
        </Link>
        <nav className="nav" aria-label="Sections">
          {NAV.map((item) => (
            <NavLink key={item.to} to={item.to} end={item.end}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="topbar-end">
          {end}
          <ThemeToggle />
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
