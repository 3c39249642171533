"""The browser of the portal's tests: the machine's Chromium (Debian's package, which `make test` installs), driven
by playwright, which never downloads a browser of its own; and a fresh page for each test that fails it on any
console error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from portal.browsing import REFUSAL, WAIT_MS


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "no chromium on this machine: `apt-get install chromium` (make test does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of a fresh browser context (no cookie), failing the test on any console error or page error (4xx
    answers only where the test allows them: see browsing.allow_refusals)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url')})")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    try:
        yield opened
        for status in getattr(opened, "allowed_refusals", ()):
            errors = [error for error in errors if REFUSAL.format(status=status) not in error]
        assert not errors, "\n".join(errors)
    finally:
        context.close()
