import { useEffect, useMemo, useRef, useState } from "react";
import { api, unwrap } from "../../api/client";
import { isActive } from "../../status";
import { StatusBadge } from "../StatusBadge";
import { byStart, followFrom, hasMore, type LogSection, type LogSections, matchingLines, mergeLogs } from "./runLog";
import "./log.css";
import "./runLog.css";

const POLL_MS = 1000;
const TAIL = 64 * 1024; // of each step's log when the tab opens; what follows is read whole

function Highlighted({ text, query }: { text: string; query: string }) {
  if (!query) return <>{text}</>;
  const parts: React.ReactNode[] = [];
  const lower = text.toLowerCase();
  const wanted = query.toLowerCase();
  let at = 0;
  for (let found = lower.indexOf(wanted); found !== -1; found = lower.indexOf(wanted, found + wanted.length)) {
    parts.push(text.slice(at, found), <mark key={found}>{text.slice(found, found + wanted.length)}</mark>);
    at = found + wanted.length;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}

function Section({ section, query, onOpen }: { section: LogSection; query: string; onOpen: (id: string) => void }) {
  const lines = useMemo(() => (query ? matchingLines(section.text, query) : null), [section.text, query]);
  if (lines && lines.length === 0) return null;
  return (
    <section className="run-log-section" data-testid="run-log-section" data-step={section.name}>
      <header className="run-log-step">
        <button type="button" className="link-button" onClick={() => onOpen(section.id)} title="Open the step">
          {section.name}
        </button>
        <StatusBadge status={section.status} />
        {section.start > 0 && (
          <span className="muted" title="the log's start is left out: open the step for all of it">
            last {(section.size - section.start).toLocaleString("en-US")} of {section.size.toLocaleString("en-US")} bytes
          </span>
        )}
        {lines && <span className="muted">{`${lines.length} matching line${lines.length === 1 ? "" : "s"}`}</span>}
      </header>
      <pre className="run-log-text">
        {lines ? (
          lines.map((line) => (
            <div key={line.number} className="run-log-line">
              <span className="run-log-number">{line.number}</span>
              <span>
                <Highlighted text={line.text} query={query} />
              </span>
            </div>
          ))
        ) : section.text === "" ? (
          <span className="muted">{isActive(section.status) ? "No output yet." : "The step wrote nothing."}</span>
        ) : (
          section.text
        )}
      </pre>
    </section>
  );
}

/** Every step's log on one page, a section per step in the order they started, followed live while the run runs
 * (`GET /api/runs/{id}/logs`, asked again from where each step's text ends); a search keeps the matching lines. */
export function RunLog({ runId, status, onOpen }: { runId: string; status: string; onOpen: (stepRunId: string) => void }) {
  const [sections, setSections] = useState<LogSections>({});
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const held = useRef<LogSections>({});
  const box = useRef<HTMLDivElement>(null);
  const live = isActive(status);

  useEffect(() => {
    held.current = {};
    setSections({});
  }, [runId]);

  useEffect(() => {
    let stopped = false;
    let more: ReturnType<typeof setTimeout> | undefined;
    let reading = false; // one ask at a time: two from the same offsets would each append the same bytes
    const read = async () => {
      if (reading) return;
      reading = true;
      try {
        const from = followFrom(held.current);
        const answer = await unwrap(
          api.GET("/api/runs/{run_id}/logs", { params: { path: { run_id: runId }, query: { from, tail: TAIL } } }),
        );
        if (stopped) return;
        const element = box.current;
        const stick = element ? element.scrollHeight - element.scrollTop - element.clientHeight < 24 : false;
        held.current = mergeLogs(held.current, answer.steps);
        setSections(held.current);
        setError(null);
        if (stick && live) requestAnimationFrame(() => element && (element.scrollTop = element.scrollHeight));
        if (hasMore(held.current)) more = setTimeout(read, 0); // an answer's size limit left some unread
      } catch (caught) {
        if (!stopped) setError(caught instanceof Error ? caught.message : String(caught));
      } finally {
        reading = false;
      }
    };
    void read();
    const timer = live ? setInterval(read, POLL_MS) : undefined;
    return () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(more);
    };
  }, [runId, live]);

  const ordered = useMemo(() => byStart(Object.values(sections)), [sections]);
  const matches = useMemo(
    () => (query ? ordered.reduce((n, s) => n + matchingLines(s.text, query).length, 0) : 0),
    [ordered, query],
  );
  return (
    <div className="run-log" data-testid="run-log">
      <div className="log-tools">
        <input
          className="input log-search"
          type="search"
          placeholder="Search every step's log"
          aria-label="Search every step's log"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <span className="muted log-count" data-testid="run-log-count">
          {query
            ? `${matches} matching line${matches === 1 ? "" : "s"}`
            : `${ordered.length} step${ordered.length === 1 ? "" : "s"}, in the order they started`}
          {live && <span className="live-dot" title="following the logs as the steps write them" />}
        </span>
      </div>
      {error && <p className="notice">The logs could not be read: {error}</p>}
      <div className="run-log-body card" ref={box} tabIndex={0}>
        {ordered.length === 0 && !error && <p className="muted">Reading the logs…</p>}
        {ordered.map((section) => (
          <Section key={section.id} section={section} query={query} onOpen={onOpen} />
        ))}
        {query && matches === 0 && ordered.length > 0 && <p className="muted">No line of any step holds “{query}”.</p>}
      </div>
    </div>
  );
}
