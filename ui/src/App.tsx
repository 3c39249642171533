import { Route, Routes } from "react-router-dom";
import { AppShell } from "./components/AppShell";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";
import { SignIn } from "./pages/SignIn";
import { useSession, useSignOut } from "./session/useSession";

/** The portal's pages by URL (every page a user might share has its own), behind the sign-in. */
export function App() {
  const session = useSession();
  if (session.isPending) return null;
  if (!session.data) return <SignIn />;
  return (
    <AppShell end={<Who name={session.data.name} scope={session.data.scope} />}>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </AppShell>
  );
}

function Who({ name, scope }: { name: string; scope: string }) {
  const signOut = useSignOut();
  return (
    <span className="who">
      <span title="the token this browser is signed in with">{name}</span>
      <span className="scope" title={`this session's scope: ${scope}`}>
        {scope}
      </span>
      <button type="button" className="button quiet" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        Sign out
      </button>
    </span>
  );
}
