import { useEffect, useState } from "react";

/** A button that copies `text` to the clipboard and says so for a moment. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  useEffect(() => {
    if (copied === null) return;
    const timer = setTimeout(() => setCopied(null), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("failed"); // no clipboard outside a secure context: the text is there to select by hand
    }
  };
  return (
    <button type="button" className="button small" onClick={copy} aria-label={`${label} to the clipboard`}>
      {copied === "yes" ? "Copied" : copied === "failed" ? "Select and copy" : label}
    </button>
  );
}
