export function Home() {
  return (
    <div className="page-header">
      <div>
        <h1>Home</h1>
        <p>Recent runs, published pipelines, endpoints and schedules of this workspace.</p>
      </div>
    </div>
  );
}
