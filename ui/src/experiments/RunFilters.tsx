import { STATUSES, statusClass, statusWord } from "../status";
import type { Filters } from "./runTable";

const SINCE_CHOICES = [
  { value: "", label: "Any time" },
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
];

/** The filters over an experiment's runs: statuses (toggles), text over parameters and tags, and an age. */
export function RunFilters({ filters, onChange }: { filters: Filters; onChange: (filters: Filters) => void }) {
  const toggle = (status: string) => {
    const statuses = filters.statuses.includes(status)
      ? filters.statuses.filter((s) => s !== status)
      : [...filters.statuses, status];
    onChange({ ...filters, statuses });
  };
  const since = SINCE_CHOICES.some((c) => c.value === filters.since)
    ? SINCE_CHOICES
    : [...SINCE_CHOICES, { value: filters.since, label: `Since ${filters.since}` }];
  return (
    <div className="filters">
      <input
        type="search"
        className="input search"
        placeholder="Filter: lr=0.1 team=vision"
        aria-label="Filter by parameters and tags"
        value={filters.text}
        onChange={(event) => onChange({ ...filters, text: event.target.value })}
      />
      <div className="chips" role="group" aria-label="Statuses">
        {STATUSES.map((status) => (
          <button
            key={status}
            type="button"
            className={`chip ${statusClass(status)}`}
            aria-pressed={filters.statuses.includes(status)}
            onClick={() => toggle(status)}
          >
            {statusWord(status)}
          </button>
        ))}
      </div>
      <select
        className="input select"
        aria-label="Started since"
        value={filters.since}
        onChange={(event) => onChange({ ...filters, since: event.target.value })}
      >
        {since.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </div>
  );
}
