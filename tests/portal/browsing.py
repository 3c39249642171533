"""What the portal's browser tests share besides their fixtures (conftest.py): screenshots to build/screenshots/,
and the refusals a test expects Chromium to log."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
WAIT_MS = 15_000
# Chromium logs every 4xx answer to a request as a console error: the sign-in form's own check (GET /api/session,
# 401) and a refused token or change get one by design, and nothing else may.
REFUSAL = "the server responded with a status of {status}"


def allow_refusals(page: Page, *statuses: int) -> None:
    """Let this page log answers of `statuses`: the test expects them (signing in, a refused change)."""
    setattr(page, "allowed_refusals", statuses)  # noqa: B010  # read by the `page` fixture at the end


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
