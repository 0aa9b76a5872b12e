"""Self-test of the browser harness (browser.py): chromium through Playwright, axe-core, the
virtual WebAuthn authenticator and screenshots, against small pages served here by
``http.server`` on 127.0.0.1. Needs no cognate server.

Every page is sent with a strict Content-Security-Policy (no inline script), as the hosted
login pages will be, so axe's injection is checked to work under one.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from html import escape
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs

import pytest
from fido2.server import Fido2Server
from fido2.webauthn import AuthenticatorData

from browser import (
    assert_accessible,
    authenticator_credentials,
    axe_violations,
    remove_virtual_authenticator,
    screenshot,
    virtual_authenticator,
)

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self'"

HEAD = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title}</title></head><body><main>{body}</main>"
        # Blocked by the CSP: the test checks that it never ran.
        "<script>window.inlineRan = true;</script></body></html>")

SIGN_IN = HEAD.format(title="Sign in", body="""
<h1>Sign in</h1>
<form method="post" action="/submit">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <label><input type="checkbox" name="remember" value="yes"> Remember me</label>
  <button type="submit">Sign in</button>
</form>""")

# The same form with the username field's label taken away: axe's "label" rule (critical).
UNLABELLED = SIGN_IN.replace('<label for="username">Username</label>', "").replace(
    'id="username"', 'id="nolabel"')

BLANK = HEAD.format(title="Passkeys", body="<h1>Passkeys</h1>")


class Site:
    """The static pages above on an ephemeral 127.0.0.1 port; records every form POST."""

    def __init__(self) -> None:
        self.posts: list[dict[str, list[str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, html: str) -> None:
                body = html.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", CSP)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                pages = {"/": SIGN_IN, "/unlabelled": UNLABELLED, "/webauthn": BLANK}
                if self.path in pages:
                    self._send(200, pages[self.path])
                else:
                    self._send(404, HEAD.format(title="Not found", body="<h1>Not found</h1>"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                site.posts.append(form)
                name = escape(form.get("username", ["?"])[0])
                self._send(200, HEAD.format(title="Signed in", body=f"<h1>Welcome, {name}</h1>"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # localhost, not 127.0.0.1: the origin WebAuthn needs (a secure context over http).
        self.url = f"http://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "Site":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def site() -> Iterator[Site]:
    with Site() as running:
        yield running


def test_fill_and_submit_a_labelled_form(page, site):
    page.goto(site.url + "/")
    assert page.title() == "Sign in"
    assert page.evaluate("window.inlineRan") is None, "the CSP should have blocked inline script"
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("correct horse")
    page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Welcome, alice").wait_for()
    assert page.title() == "Signed in"
    assert site.posts == [{"username": ["alice"], "password": ["correct horse"], "remember": ["yes"]}]


def test_axe_passes_an_accessible_page(page, site):
    page.goto(site.url + "/")
    # impacts=None: not even a minor violation on this page.
    assert assert_accessible(page, "sign-in page", impacts=None) == []
    # Running twice injects axe once and gives the same answer.
    assert axe_violations(page) == []


def test_axe_reports_an_input_without_label(page, site):
    page.goto(site.url + "/unlabelled")
    violations = axe_violations(page)
    assert [v["id"] for v in violations] == ["label"], violations
    assert violations[0]["impact"] == "critical"
    assert violations[0]["nodes"][0]["target"] == ["#nolabel"]
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "unlabelled page")
    message = str(failure.value)
    assert message.startswith("unlabelled page: 1 accessibility violation(s) (serious/critical)")
    assert "- label [critical]: Form elements must have labels" in message
    assert "#nolabel" in message
    # Only minor/moderate counted: the critical one is returned, not raised.
    assert [v["id"] for v in assert_accessible(page, "x", impacts=("minor", "moderate"))] == ["label"]


def _json(value: Any) -> Any:
    """fido2's option objects -> the plain JSON a relying party sends to the browser."""
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return json.loads(json.dumps(value))


# Bounded: a ceremony with no authenticator would otherwise wait for a person.
CREATE = """async (options) => {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
  const timer = new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 10000));
  const credential = await Promise.race([navigator.credentials.create({ publicKey }), timer]);
  return credential.toJSON();
}"""
GET = """async (options) => {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  const timer = new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 10000));
  try {
    const credential = await Promise.race([navigator.credentials.get({ publicKey }), timer]);
    return credential.toJSON();
  } catch (e) {
    return { error: e.name, message: e.message };
  }
}"""


def test_virtual_authenticator_creates_and_uses_a_passkey(page, site):
    page.goto(site.url + "/webauthn")
    assert page.evaluate("window.isSecureContext") is True
    authenticator = virtual_authenticator(page)
    assert isinstance(authenticator, str) and authenticator
    rp = Fido2Server({"id": "localhost", "name": "cognate harness"})

    options, state = rp.register_begin(
        {"id": b"user-1", "name": "alice", "displayName": "Alice"},
        resident_key_requirement="required", user_verification="required")
    created = page.evaluate(CREATE, _json(options)["publicKey"])
    assert created["type"] == "public-key" and created["authenticatorAttachment"] == "platform"
    auth_data = rp.register_complete(state, created)  # verifies origin, rp id, challenge, flags
    credential = auth_data.credential_data
    assert auth_data.is_user_present() and auth_data.is_user_verified()

    stored = authenticator_credentials(page, authenticator)
    assert len(stored) == 1 and stored[0]["rpId"] == "localhost"
    assert stored[0]["isResidentCredential"] is True

    # Discoverable sign-in: no allow list; the authenticator picks the passkey by rp id.
    options, state = rp.authenticate_begin(user_verification="required")
    asserted = page.evaluate(GET, _json(options)["publicKey"])
    assert "error" not in asserted, asserted
    assert rp.authenticate_complete(state, [credential], asserted).credential_id == credential.credential_id
    assert asserted["id"] == created["id"]
    assert asserted["response"]["userHandle"] == "dXNlci0x"  # base64url(b"user-1")
    signed = AuthenticatorData(_b64(asserted["response"]["authenticatorData"]))
    assert signed.is_user_verified() and signed.counter >= 1
    assert authenticator_credentials(page, authenticator)[0]["signCount"] == signed.counter

    # Without the authenticator the same ceremony fails: the success above was its doing.
    remove_virtual_authenticator(page, authenticator)
    options, _ = rp.authenticate_begin(user_verification="required")
    request = _json(options)["publicKey"] | {"timeout": 1000}
    assert page.evaluate(GET, request)["error"] == "NotAllowedError"


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_screenshot_writes_png_only_when_asked(page, site, tmp_path, monkeypatch):
    page.goto(site.url + "/")
    monkeypatch.delenv("COGNATE_SCREENSHOTS", raising=False)
    assert screenshot(page, "sign in") is None
    target = tmp_path / "shots"
    monkeypatch.setenv("COGNATE_SCREENSHOTS", str(target))
    path = screenshot(page, "sign in/form")
    assert path == target / "sign_in_form.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000
    assert [p.name for p in target.iterdir()] == ["sign_in_form.png"]


def test_missing_browser_skips_or_fails_under_require():
    """Without chromium the browser tests skip with a notice; COGNATE_REQUIRE_BROWSER=1 (CI)
    turns that into a failure. Runs one browser test in a child pytest with chromium hidden."""
    here = Path(__file__).resolve().parent
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"{Path(__file__).name}::test_fill_and_submit_a_labelled_form"]
    env = {k: v for k, v in os.environ.items() if k != "COGNATE_REQUIRE_BROWSER"}
    env["COGNATE_CHROMIUM"] = "/nonexistent/chromium"

    skipped = subprocess.run(argv, cwd=here, env=env, capture_output=True, text=True,
                             timeout=120, stdin=subprocess.DEVNULL)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "1 skipped" in skipped.stdout, skipped.stdout
    assert ("notice: browser tests skipped: COGNATE_CHROMIUM=/nonexistent/chromium is not an "
            "executable file") in skipped.stdout, skipped.stdout

    env["COGNATE_REQUIRE_BROWSER"] = "1"
    failed = subprocess.run(argv, cwd=here, env=env, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "1 error" in failed.stdout, failed.stdout
    assert "COGNATE_REQUIRE_BROWSER=1 but COGNATE_CHROMIUM=/nonexistent/chromium" in failed.stdout
