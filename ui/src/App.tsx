import { Route, Routes } from "react-router-dom";
import { DatasetPage } from "./assets/DatasetPage";
import { DatasetsPage } from "./assets/DatasetsPage";
import { ModelPage } from "./assets/ModelPage";
import { ModelsPage } from "./assets/ModelsPage";
import { ModulePage } from "./assets/ModulePage";
import { ModulesPage } from "./assets/ModulesPage";
import { AppShell } from "./components/AppShell";
import { Compare } from "./pages/Compare";
import { ComputePage } from "./compute/ComputePage";
import { EndpointPage } from "./endpoints/EndpointPage";
import { EndpointsPage } from "./endpoints/EndpointsPage";
import { ExperimentPage } from "./experiments/ExperimentPage";
import { ExperimentsPage } from "./experiments/ExperimentsPage";
import { Home } from "./pages/Home";
import { NotFound } from "./pages/NotFound";
import { RunPage } from "./pages/RunPage";
import { SignIn } from "./pages/SignIn";
import { StepPanel } from "./pages/StepPanel";
import { PipelinePage } from "./pipelines/PipelinePage";
import { PipelinesPage } from "./pipelines/PipelinesPage";
import { SchedulesPage } from "./schedules/SchedulesPage";
import { useSession, useSignOut } from "./session/useSession";
import { TokensPage } from "./tokens/TokensPage";

/** The portal's pages by URL (every page a user might share has its own), behind the sign-in. */
export function App() {
  const session = useSession();
  if (session.isPending) return null;
  if (!session.data) return <SignIn />;
  return (
    <AppShell end={<Who name={session.data.name} scope={session.data.scope} />}>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/compare" element={<Compare />} />
        <Route path="/runs/:id" element={<RunPage />}>
          <Route path="steps/:step" element={<StepPanel />} />
        </Route>
        <Route path="/experiments" element={<ExperimentsPage />} />
        <Route path="/experiments/:name" element={<ExperimentPage />} />
        <Route path="/pipelines" element={<PipelinesPage />} />
        <Route path="/pipelines/:id" element={<PipelinePage />} />
        <Route path="/endpoints" element={<EndpointsPage />} />
        <Route path="/endpoints/:name" element={<EndpointPage />} />
        <Route path="/datasets" element={<DatasetsPage />} />
        <Route path="/datasets/:name" element={<DatasetPage />} />
        <Route path="/models" element={<ModelsPage />} />
        <Route path="/models/:name" element={<ModelPage />} />
        <Route path="/modules" element={<ModulesPage />} />
        <Route path="/modules/:name" element={<ModulePage />} />
        <Route path="/schedules" element={<SchedulesPage />} />
        <Route path="/compute" element={<ComputePage />} />
        <Route path="/tokens" element={<TokensPage />} />
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
