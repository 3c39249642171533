import { useEffect, useMemo, useRef, useState } from "react";
import { isActive } from "../../status";
import "./log.css";

const POLL_MS = 1000;

/** The step's log as text on the page, read from where it was left each second while the step runs; a search box
 * marks every match. */
export function StepLog({ runId, stepId, status }: { runId: string; stepId: string; status: string }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const offset = useRef(0);
  const live = isActive(status);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    offset.current = 0;
    setText("");
    setError(null);
  }, [runId, stepId]);

  useEffect(() => {
    let stopped = false;
    const decoder = new TextDecoder();
    const read = async () => {
      try {
        const url = `/api/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/log?offset=${offset.current}`;
        const answer = await fetch(url, { credentials: "same-origin" });
        if (!answer.ok) throw new Error(`${answer.status} ${answer.statusText}`);
        const bytes = new Uint8Array(await answer.arrayBuffer());
        if (stopped || bytes.length === 0) return;
        offset.current += bytes.length;
        const stick = pre.current ? pre.current.scrollHeight - pre.current.scrollTop - pre.current.clientHeight < 24 : true;
        setText((was) => was + decoder.decode(bytes, { stream: true }));
        if (stick) requestAnimationFrame(() => pre.current && (pre.current.scrollTop = pre.current.scrollHeight));
      } catch (caught) {
        if (!stopped) setError(caught instanceof Error ? caught.message : String(caught));
      }
    };
    void read();
    if (!live) return () => void (stopped = true);
    const timer = setInterval(read, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
      void read();
    };
  }, [runId, stepId, live]);

  const { parts, matches } = useMemo(() => split(text, query), [text, query]);
  return (
    <div className="step-log-box">
      <div className="log-tools">
        <input
          className="input log-search"
          type="search"
          placeholder="Search the log"
          aria-label="Search the log"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <span className="muted log-count">
          {query ? `${matches} match${matches === 1 ? "" : "es"}` : `${text.length.toLocaleString("en-US")} chars`}
          {live && <span className="live-dot" title="following the log as the step writes it" />}
        </span>
      </div>
      {error && <p className="notice">The log could not be read: {error}</p>}
      <pre className="step-log" data-testid="step-log" ref={pre} tabIndex={0}>
        {text === "" ? <span className="muted">{live ? "Waiting for output…" : "The step wrote nothing."}</span> : parts}
      </pre>
    </div>
  );
}

function split(text: string, query: string): { parts: (string | React.JSX.Element)[]; matches: number } {
  if (!query) return { parts: [text], matches: 0 };
  const parts: (string | React.JSX.Element)[] = [];
  const lower = text.toLowerCase();
  const wanted = query.toLowerCase();
  let at = 0;
  let matches = 0;
  for (let found = lower.indexOf(wanted); found !== -1 && matches < 5000; found = lower.indexOf(wanted, found + wanted.length)) {
    parts.push(text.slice(at, found), <mark key={found}>{text.slice(found, found + wanted.length)}</mark>);
    at = found + wanted.length;
    matches++;
  }
  parts.push(text.slice(at));
  return { parts, matches };
}
