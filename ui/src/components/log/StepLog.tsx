import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState } from "react";
import { appendText, matchingLines, shownLines, splitMatches } from "./logLines";
import "./log.css";

const LINE_HEIGHT = 18; // px, as .step-log-line sets it: every line one row, so 100,000 lines scroll as easily as 100
const AT_BOTTOM = 4; // px from the end that still counts as at the bottom

type Reading = "live" | "ended" | "failed";

/** The step's log, streamed from the server as the step writes it (`/log/stream`, one request from the first byte
 * to the step's end), drawn a screenful of lines at a time. At the bottom it follows new lines; scrolled up, it
 * stays where the reader is. A search box finds and marks lines, and steps through them. */
export function StepLog({ runId, stepId }: { runId: string; stepId: string; status?: string }) {
  const lines = useRef<string[]>([""]);
  const [version, setVersion] = useState(0); // bumped when lines grow: they are kept in place, not copied
  const [reading, setReading] = useState<Reading>("live");
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const base = `/api/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/log`;

  useEffect(() => {
    lines.current = [""];
    setVersion((v) => v + 1);
    setReading("live");
    setFollow(true);
    let pending = "";
    let frame = 0;
    const flush = () => {
      frame = 0;
      appendText(lines.current, pending);
      pending = "";
      setVersion((v) => v + 1);
    };
    // The browser's EventSource: signed in by the session cookie, and on a dropped connection it asks again with
    // the last mark (Last-Event-ID), so the log goes on from the byte it stopped at.
    const source = new EventSource(`${base}/stream`);
    source.addEventListener("log", (message: MessageEvent<string>) => {
      pending += (JSON.parse(message.data) as { text: string }).text;
      if (!frame) frame = requestAnimationFrame(flush); // many pieces a frame: one render
    });
    source.addEventListener("reset", () => {
      pending = "";
      lines.current = [""]; // a retry's log starts over
      setVersion((v) => v + 1);
    });
    source.addEventListener("end", () => {
      source.close();
      cancelAnimationFrame(frame);
      flush();
      setReading("ended");
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setReading("failed"); // else it is reconnecting
    };
    return () => {
      source.close();
      cancelAnimationFrame(frame);
    };
  }, [base]);

  const count = shownLines(lines.current);
  const matches = useMemo(() => matchingLines(lines.current, query), [version, query]);
  const at = matches.length ? Math.min(current, matches.length - 1) : -1;
  const rows = useVirtualizer({
    count,
    getScrollElement: () => box.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: 30,
  });

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [version, follow, count]);

  const goTo = (index: number) => {
    if (!matches.length) return;
    const next = (index + matches.length) % matches.length;
    setCurrent(next);
    setFollow(false);
    rows.scrollToIndex(matches[next]!, { align: "center" });
  };
  // A new search shows its first match, as a browser's find does; the log stops following to keep it in view.
  useEffect(() => {
    if (query && matches.length) goTo(0);
  }, [query]);
  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_BOTTOM;
    if (bottom !== follow) setFollow(bottom);
  };

  const live = reading === "live";
  return (
    <div className="step-log-box">
      <div className="log-tools">
        <input
          className="input log-search"
          type="search"
          placeholder="Search the log"
          aria-label="Search the log"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setCurrent(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") goTo(at + (e.shiftKey ? -1 : 1));
          }}
        />
        {query && (
          <span className="log-matches">
            <span className="muted log-count" data-testid="log-matches">
              {matches.length ? `${at + 1} of ${matches.length.toLocaleString("en-US")} lines` : "no match"}
            </span>
            <button type="button" className="button small quiet" onClick={() => goTo(at - 1)} aria-label="Previous match" disabled={!matches.length}>
              ↑
            </button>
            <button type="button" className="button small quiet" onClick={() => goTo(at + 1)} aria-label="Next match" disabled={!matches.length}>
              ↓
            </button>
          </span>
        )}
        <span className="log-spacer" />
        <span className="muted log-count" data-testid="log-size">
          {count.toLocaleString("en-US")} line{count === 1 ? "" : "s"}
          {live && <span className="live-dot" title="the log grows as the step writes it" />}
        </span>
        <button
          type="button"
          className={`button small${follow ? " on" : ""}`}
          aria-pressed={follow}
          onClick={() => setFollow(!follow)}
          title="Keep the newest line in view"
        >
          Follow
        </button>
        <button
          type="button"
          className="button small"
          onClick={() => void navigator.clipboard?.writeText(lines.current.join("\n")).catch(() => undefined)}
          title="Copy the whole log (the rows on screen are selectable too)"
        >
          Copy all
        </button>
        <a className="button small" href={base} target="_blank" rel="noreferrer" title="The log as plain text">
          Raw
        </a>
      </div>
      {reading === "failed" && <p className="notice">The log could not be read; reload the page to try again.</p>}
      <div className="step-log" data-testid="step-log" ref={box} tabIndex={0} onScroll={onScroll} role="log" aria-live="off">
        {count === 0 ? (
          <span className="muted step-log-empty">{live ? "Waiting for output…" : "The step wrote nothing."}</span>
        ) : (
          <div className="step-log-lines" style={{ height: rows.getTotalSize() }}>
            {rows.getVirtualItems().map((row) => (
              <div
                key={row.index}
                className={`step-log-line${matches[at] === row.index ? " current" : ""}`}
                style={{ transform: `translateY(${row.start}px)` }}
                data-line={row.index + 1}
              >
                {splitMatches(lines.current[row.index]!, query).map((part, i) =>
                  part.match ? <mark key={i}>{part.text}</mark> : part.text,
                )}
              </div>
            ))}
          </div>
        )}
      </div>
    </div>
  );
}
