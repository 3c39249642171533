import { statusClass, statusWord } from "../status";

/** A run's or step's status: a coloured dot and the word. */
export function StatusBadge({ status, reused = false }: { status: string; reused?: boolean }) {
  const word = reused && status === "Finished" ? "Reused" : statusWord(status);
  return (
    <span className={`status ${statusClass(status)}`} data-status={status}>
      {word}
    </span>
  );
}
