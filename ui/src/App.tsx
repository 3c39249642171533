import { Route, Routes } from "react-router-dom";
import { AppShell } from "./components/AppShell";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";

/** The portal's pages by URL: every page a user might share has its own. */
export function App() {
  return (
    <AppShell>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </AppShell>
  );
}
