import type { ReactNode } from "react";

/** What an empty list shows: what is missing, and what to do to fill it. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}
