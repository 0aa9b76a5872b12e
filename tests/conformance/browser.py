"""Browser tests: Debian's ``chromium`` driven by Playwright (Python), axe-core for
accessibility, a DevTools virtual authenticator for WebAuthn. Registered by conftest.py
(``pytest_plugins``), so any test file can ask for the fixtures.

Nothing here downloads a browser: Playwright is given the executable
(``$COGNATE_CHROMIUM``, else ``/usr/bin/chromium``, else ``chromium`` on PATH); never run
``playwright install``. Without a browser (or without the playwright package) the browser
tests skip with a notice, unless ``COGNATE_REQUIRE_BROWSER=1`` (CI), where that is a failure.
axe-core comes from node/node_modules (pinned in node/package.json, installed by
scripts/test.sh); without it ``assert_accessible`` skips the same way (or fails under
``COGNATE_REQUIRE_BROWSER=1`` or ``COGNATE_REQUIRE_NODE=1``).

Fixtures:
* ``browser`` (session)  - one headless chromium for the whole run
* ``page`` (function)    - a page in a fresh browser context (own cookies, storage, cache),
                           closed after the test; default timeout 10 s

Helpers:
* ``assert_accessible(page, label, impacts=("serious", "critical"), options=None)``
      runs axe on the page; fails listing rule id, impact, help and targets of each violation
      whose impact is in ``impacts`` (``impacts=None``: every violation fails); returns all
* ``axe_violations(page, options=None)`` - the violations alone, asserting nothing
* ``virtual_authenticator(page, **options)`` - adds a CTAP2 platform authenticator with
      resident keys and user verification to the page; returns its id
* ``authenticator_credentials(page, authenticator_id)`` - its credentials (WebAuthn.getCredentials)
* ``screenshot(page, name)`` - full-page PNG into ``$COGNATE_SCREENSHOTS`` (no-op when unset)

Caveat: once the session's browser is up, Playwright's sync API keeps its event loop registered
as running on the test thread, so ``asyncio.run()`` there raises "cannot be called from a
running event loop" (later tests too); run such code in a thread. Threads with their own loop
(aiosmtpd's, the stubs') are unaffected.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import weakref
from pathlib import Path
from typing import Any, Iterator

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"

# Headless, no sandbox (we run as root), and nothing that talks to the network by itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAUNCH_TIMEOUT_MS = 30_000
PAGE_TIMEOUT_MS = 10_000

_notices: list[str] = []
_launch: dict[str, Any] = {}
_cdp_sessions: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
_axe_source: str | None = None


def _missing(reason: str, *require_vars: str) -> None:
    """Skip with a notice, or fail when one of ``require_vars`` (default
    COGNATE_REQUIRE_BROWSER) is ``1``."""
    for var in require_vars or ("COGNATE_REQUIRE_BROWSER",):
        if os.environ.get(var) == "1":
            pytest.fail(f"{var}=1 but {reason}", pytrace=False)
    if reason not in _notices:
        _notices.append(reason)
    pytest.skip(f"{reason} (set COGNATE_REQUIRE_BROWSER=1 to fail instead)")


def find_chromium() -> tuple[str | None, str]:
    """(executable, "") or (None, why not). ``$COGNATE_CHROMIUM`` when set, with no fallback."""
    wanted = os.environ.get("COGNATE_CHROMIUM")
    if wanted:
        if os.path.isfile(wanted) and os.access(wanted, os.X_OK):
            return wanted, ""
        return None, f"COGNATE_CHROMIUM={wanted} is not an executable file"
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium", ""
    found = shutil.which("chromium")
    if found:
        return found, ""
    return None, "chromium is not installed (apt-get install -y chromium)"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the run (Playwright, given the executable; never downloads)."""
    executable, why = find_chromium()
    if executable is None:
        _missing(why)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _missing(f"the playwright package is not installed ({exc}); pip install -r requirements.txt")
    started = time.monotonic()
    playwright = sync_playwright().start()
    try:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS,
                                              headless=True, timeout=LAUNCH_TIMEOUT_MS)
    except Exception:
        playwright.stop()
        raise
    _launch.update(executable=executable, version=instance.version,
                   seconds=time.monotonic() - started)
    try:
        yield instance
    finally:
        try:
            instance.close()
        finally:
            playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (Playwright's own temporary profile underneath), closed after."""
    context = browser.new_context()
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


# =========================================================================== accessibility

_AXE_RUN = """async (options) => {
  const result = await window.axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, impact: n.impact })),
  }));
}"""


def _inject_axe(page: Any) -> None:
    global _axe_source
    if _axe_source is None:
        if not AXE_JS.is_file():
            _missing(f"axe-core is not installed ({AXE_JS} is missing): run `npm ci` in {NODE_DIR}",
                     "COGNATE_REQUIRE_BROWSER", "COGNATE_REQUIRE_NODE")
        _axe_source = AXE_JS.read_text()
    # evaluate() goes through DevTools, not a <script> element, so the page's
    # Content-Security-Policy does not block it (the hosted pages send a strict one).
    for frame in page.frames:
        if not frame.evaluate("() => typeof window.axe === 'object'"):
            frame.evaluate(_axe_source)


def axe_violations(page: Any, options: dict | None = None) -> list[dict]:
    """axe-core's violations for the page as it is now: dicts with id, impact, help, helpUrl
    and nodes (target, html, impact). ``options`` go to ``axe.run`` (e.g. ``{"runOnly":
    ["wcag2a", "wcag2aa"]}``); the default runs every rule axe enables by default."""
    _inject_axe(page)
    run_options = {"resultTypes": ["violations"], **(options or {})}
    return page.evaluate(_AXE_RUN, run_options)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}]: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {' >> '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


def assert_accessible(page: Any, label: str,
                      impacts: tuple[str, ...] | list[str] | None = ("serious", "critical"),
                      options: dict | None = None) -> list[dict]:
    """Fails when axe finds a violation whose impact is in ``impacts`` (``None``: any
    violation). Returns every violation found, failing or not."""
    violations = axe_violations(page, options)
    failing = [v for v in violations if impacts is None or v["impact"] in impacts]
    if failing:
        which = "any impact" if impacts is None else "/".join(impacts)
        raise AssertionError(
            f"{label}: {len(failing)} accessibility violation(s) ({which}) on {page.url}\n"
            + format_violations(failing))
    return violations


# =========================================================================== WebAuthn


def virtual_authenticator(page: Any, **options: Any) -> str:
    """Adds a DevTools virtual authenticator to ``page`` (CTAP2, internal transport, resident
    keys, user verification that always succeeds, presence simulated) and returns its id.
    ``options`` override or extend WebAuthn.VirtualAuthenticatorOptions. It lives as long as
    the page; navigator.credentials.create/get on the page use it without any prompt."""
    cdp = _cdp_sessions.get(page)
    if cdp is None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable", {"enableUI": False})
        _cdp_sessions[page] = cdp
    authenticator = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
        **options,
    }
    return cdp.send("WebAuthn.addVirtualAuthenticator", {"options": authenticator})["authenticatorId"]


def authenticator_credentials(page: Any, authenticator_id: str) -> list[dict]:
    """The credentials the virtual authenticator holds (credentialId, isResidentCredential,
    rpId, privateKey, userHandle, signCount; binary fields base64)."""
    return _cdp_sessions[page].send("WebAuthn.getCredentials",
                                    {"authenticatorId": authenticator_id})["credentials"]


def remove_virtual_authenticator(page: Any, authenticator_id: str) -> None:
    _cdp_sessions[page].send("WebAuthn.removeVirtualAuthenticator",
                             {"authenticatorId": authenticator_id})


# =========================================================================== screenshots


def screenshot(page: Any, name: str) -> Path | None:
    """Writes a full-page PNG ``<name>.png`` into ``$COGNATE_SCREENSHOTS`` (created if
    needed) and returns its path; does nothing and returns None when the variable is unset."""
    directory = os.environ.get("COGNATE_SCREENSHOTS")
    if not directory:
        return None
    path = Path(directory) / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# =========================================================================== reporting


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The notice for skipped browser tests, and which browser ran and how fast it started."""
    for reason in _notices:
        terminalreporter.write_line(f"notice: browser tests skipped: {reason} "
                                    "(set COGNATE_REQUIRE_BROWSER=1 to fail instead)", yellow=True)
    if _launch:
        terminalreporter.write_line(f"browser: {_launch['executable']} (chromium "
                                    f"{_launch['version']}), launched in {_launch['seconds']:.2f} s")
