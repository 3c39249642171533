import { NavLink } from "react-router-dom";

const KINDS = [
  { to: "/datasets", label: "Datasets" },
  { to: "/models", label: "Models" },
  { to: "/modules", label: "Modules" },
];

/** The three kinds of registered things, one tab each: the portal's "Data" section. */
export function AssetTabs() {
  return (
    <nav className="asset-tabs" aria-label="Registered data">
      {KINDS.map((k) => (
        <NavLink key={k.to} to={k.to} className={({ isActive }) => `asset-tab${isActive ? " active" : ""}`}>
          {k.label}
        </NavLink>
      ))}
    </nav>
  );
}
