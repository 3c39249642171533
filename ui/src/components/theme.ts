// Light and dark: the system's choice unless the user picked one with the toggle (kept in localStorage).
import { useCallback, useEffect, useState } from "react";

export type Theme = "light" | "dark";
const KEY = "duto-theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";

function systemTheme(): Theme {
  return globalThis.matchMedia?.(DARK_QUERY).matches ? "dark" : "light";
}

function chosenTheme(): Theme | null {
  const stored = globalThis.localStorage?.getItem(KEY);
  return stored === "light" || stored === "dark" ? stored : null;
}

/** The theme in force: the chosen one, else the system's. */
export function currentTheme(): Theme {
  return chosenTheme() ?? systemTheme();
}

/** Put the theme on <html>, where tokens.css reads it. Called before the first render, so no flash. */
export function applyTheme(theme: Theme = currentTheme()): void {
  document.documentElement.dataset.theme = theme;
}

/** The theme in force and a toggle; follows the system while the user has chosen nothing. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(currentTheme);

  useEffect(() => {
    applyTheme(theme);
  }, [theme]);

  useEffect(() => {
    const media = globalThis.matchMedia?.(DARK_QUERY);
    if (!media) return;
    const follow = () => {
      if (chosenTheme() === null) setTheme(systemTheme());
    };
    media.addEventListener("change", follow);
    return () => media.removeEventListener("change", follow);
  }, []);

  const toggle = useCallback(() => {
    setTheme((was) => {
      const next: Theme = was === "dark" ? "light" : "dark";
      // Choosing what the system says anyway means following it again.
      if (next === systemTheme()) localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, next);
      return next;
    });
  }, []);

  return [theme, toggle];
}
