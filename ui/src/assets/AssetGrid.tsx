import { useVirtualizer } from "@tanstack/react-virtual";
import { type ReactNode, useRef } from "react";

const ROW_HEIGHT = 44;

export interface GridColumn<T> {
  label: string;
  /** a CSS grid track: "160px", "minmax(0, 1fr)" */
  width: string;
  numeric?: boolean;
  cell: (row: T) => ReactNode;
}

/** A table of `rows` that renders only the rows in view (as the experiment's runs grid does), so a workspace with
 * thousands of registered versions scrolls as smoothly as one with three. */
export function AssetGrid<T>({
  rows,
  columns,
  rowKey,
  label,
  chosen,
}: {
  rows: readonly T[];
  columns: readonly GridColumn<T>[];
  rowKey: (row: T) => string;
  label: string;
  /** the key of the row the page is about, marked */
  chosen?: string;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const template = columns.map((c) => c.width).join(" ");
  return (
    <div className="grid-scroll asset-grid" ref={scroller} role="table" aria-label={label} aria-rowcount={rows.length + 1}>
      <div className="grid-row grid-head" role="row" style={{ gridTemplateColumns: template }}>
        {columns.map((c) => (
          <div key={c.label} role="columnheader" className={c.numeric ? "num" : ""}>
            {c.label}
          </div>
        ))}
      </div>
      <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
        {virtual.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (row === undefined) return null;
          const key = rowKey(row);
          return (
            <div
              key={key}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={chosen === undefined ? undefined : key === chosen}
              className={`grid-row ${key === chosen ? "chosen" : ""}`}
              style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
            >
              {columns.map((c) => (
                <div key={c.label} role="cell" className={c.numeric ? "num" : "clip"}>
                  {c.cell(row)}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
