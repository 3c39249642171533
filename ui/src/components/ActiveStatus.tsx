/** A published pipeline's or an endpoint's status as a word and a colour: Active (it starts runs) or Disabled. */
export function ActiveStatus({ status }: { status: string }) {
  return <span className={`status ${status === "Active" ? "finished" : "notstarted"}`}>{status}</span>;
}
