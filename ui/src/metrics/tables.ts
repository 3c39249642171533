// Metrics logged as tables (`log_table`, `log_confusion_matrix`...): what can be shown as rows and columns.

/** The columns of a metric logged as a table (`log_table`: column name -> values, all of one length), or null. */
export function tableColumns(value: unknown): [string, unknown[]][] | null {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  const columns = Object.entries(value as Record<string, unknown>);
  if (!columns.length || !columns.every(([, v]) => Array.isArray(v))) return null;
  const length = (columns[0]![1] as unknown[]).length;
  return columns.every(([, v]) => (v as unknown[]).length === length) ? (columns as [string, unknown[]][]) : null;
}
