import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";
import { statusClass, statusWord } from "../../status";
import { elapsedSeconds, formatDuration } from "../../time";
import type { RunOutline } from "../run/queries";
import "./timeline.css";

const ROW = 28;

/** The run as a Gantt chart: a row per step, a bar from its start to its end (to now while it runs), coloured by
 * status; only the rows in view are drawn. */
export function RunTimeline({ run, now, openId, onOpen }: { run: RunOutline; now: number; openId?: string; onOpen: (id: string) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({ count: run.steps.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 12 });
  const starts = run.steps.map((s) => (s.started ? Date.parse(s.started) : NaN)).filter((t) => !Number.isNaN(t));
  const from = starts.length ? Math.min(...starts) : now;
  const to = Math.max(
    from + 1000,
    ...run.steps.map((s) => (s.ended ? Date.parse(s.ended) : s.started ? now : from)).filter((t) => !Number.isNaN(t)),
  );
  const span = to - from;
  const ticks = Array.from({ length: 5 }, (_, i) => i / 4);
  return (
    <div className="timeline" data-testid="run-timeline">
      <div className="timeline-axis">
        <div className="timeline-label-col">Step</div>
        <div className="timeline-track">
          {ticks.map((t) => (
            <span key={t} style={{ left: `${t * 100}%` }}>
              {formatDuration((span * t) / 1000)}
            </span>
          ))}
        </div>
      </div>
      <div className="timeline-rows" ref={scroller}>
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {rows.getVirtualItems().map((row) => {
            const step = run.steps[row.index]!;
            const start = step.started ? Date.parse(step.started) : null;
            const end = step.ended ? Date.parse(step.ended) : now;
            const left = start === null ? 0 : ((start - from) / span) * 100;
            const width = start === null ? 0 : Math.max(0.3, ((end - start) / span) * 100);
            return (
              <button
                type="button"
                key={step.id}
                className={`timeline-row${step.id === openId ? " open" : ""}`}
                style={{ transform: `translateY(${row.start}px)`, height: ROW }}
                onClick={() => onOpen(step.id)}
              >
                <span className="timeline-label-col" title={step.name}>
                  {step.name}
                </span>
                <span className="timeline-track">
                  {start !== null ? (
                    <span
                      className={`timeline-bar ${statusClass(step.status)}`}
                      style={{ left: `${left}%`, width: `${width}%` }}
                      title={`${step.name}: ${statusWord(step.status)}, ${formatDuration(elapsedSeconds(step.started, step.ended, now))}`}
                    />
                  ) : (
                    <span className="timeline-none">{step.is_reused ? "reused" : statusWord(step.status).toLowerCase()}</span>
                  )}
                </span>
              </button>
            );
          })}
        </div>
      </div>
    </div>
  );
}
