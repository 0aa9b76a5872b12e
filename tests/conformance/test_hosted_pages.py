"""The hosted pages around the sign-in form, in a real browser: ``/signup``, ``/confirm`` and
``/resendcode``, ``/forgotPassword`` and ``/confirmForgotPassword``, and the steps after the
password at ``/login/challenge`` (a new password, setting up an authenticator app, its code).

Every story starts where an app sends the person: ``/oauth2/authorize`` (Authlib's
``OAuth2Session`` builds the URL with state, nonce and PKCE S256) and ends back at the app's
callback with a code, which is exchanged at ``/oauth2/token``; the ID token is checked with
PyJWT against the pool's JWKS. Emailed codes are read from the session's SMTP listener
(``smtp_server``), as a person reads their mail. The browser reaches cognate as
``http://localhost:PORT``; the app's callback is a tiny local server that records each hit.

Pages are driven by their labels and roles only; each page is checked with axe and
screenshotted (``$COGNATE_SCREENSHOTS``) the first time a story reaches it.

Not covered: SMS codes (no SMS sink in a browser story), SELECT_MFA_TYPE and EMAIL_OTP pages.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pyotp
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from browser import assert_accessible, screenshot
from helpers import (INCORRECT, OTHER_PASSWORD, PASSWORD, WRONG_CODE_MESSAGE, App,
                     admin_create_user, make_client, make_pool, sign_up_user, unique_email,
                     unique_name, wrong_code)

HTTP_TIMEOUT = 30
NEW_PASSWORD = "N3w-Passw0rd!"

CONFIRMED_NOTICE = "Your account is confirmed. Sign in to continue."
NOT_CONFIRMED_NOTICE = "Your account is not confirmed yet. We sent you a new code."
CHANGED_NOTICE = "Your password has been changed. Sign in with your new password."
SIGN_UP_REFUSED = "Sign-up is not available. Contact your administrator."
POLICY_UPPERCASE = "Password did not conform with policy: Password must have uppercase characters"
TOTP_MISMATCH = "Invalid code received for user"


# =========================================================================== the app


class AppSite:
    """The app's origin: a tiny HTTP server on 127.0.0.1 (the browser reaches it as
    ``http://localhost:<port>``) answering 200 to every GET and recording each path+query."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/favicon.ico":
                    site.paths.append(self.path)
                body = b"<!doctype html><html lang=en><title>app</title><p>app</p></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, page: Any, path: str = "/cb") -> str:
        """The page's URL once the browser is on the app's ``path``."""
        page.wait_for_url(re.compile("^" + re.escape(self.origin + path) + r"([?#]|$)"))
        return page.url

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def app_site() -> Iterator[AppSite]:
    site = AppSite()
    try:
        yield site
    finally:
        site.close()


@dataclass
class Hosted:
    """A pool and an OAuth app client on it (code grant, openid + email)."""

    server: Any
    idp: Any
    pool_id: str
    client_id: str
    client_secret: str | None
    callback: str

    @property
    def api(self) -> str:  # what the app's back end calls
        return self.server.url

    @property
    def browser_base(self) -> str:  # what the browser calls
        return self.server.url.replace("127.0.0.1", "localhost")

    @property
    def issuer(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    @property
    def app(self) -> App:
        """The same client for API calls (SecretHash wired in)."""
        client = {"ClientId": self.client_id}
        if self.client_secret:
            client["ClientSecret"] = self.client_secret
        return App(idp=self.idp, pool={"Id": self.pool_id}, client=client)


def hosted(server: Any, idp: Any, app_site: AppSite, *, secret: bool = False,
           **pool_args: Any) -> Hosted:
    """One pool (``make_pool(**pool_args)``: email auto-verified unless overridden) and one
    OAuth client whose callback is ``app_site``'s ``/cb``."""
    pool = make_pool(idp, **pool_args)
    callback = f"{app_site.origin}/cb"
    client = make_client(
        idp, pool["Id"],
        GenerateSecret=secret,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email"],
        CallbackURLs=[callback],
        SupportedIdentityProviders=["COGNITO"],
    )
    assert bool(client.get("ClientSecret")) == secret, client
    return Hosted(server=server, idp=idp, pool_id=pool["Id"], client_id=client["ClientId"],
                  client_secret=client.get("ClientSecret"), callback=callback)


# =========================================================================== OAuth


@dataclass
class Authorization:
    rp: OAuth2Session
    url: str
    state: str
    nonce: str
    verifier: str


def authorization(h: Hosted, **params: str) -> Authorization:
    """An authorize URL for the browser, as Authlib builds it (state, nonce, PKCE S256)."""
    if h.client_secret:
        rp = OAuth2Session(h.client_id, h.client_secret, redirect_uri=h.callback,
                           scope="openid email", code_challenge_method="S256")
    else:
        rp = OAuth2Session(h.client_id, redirect_uri=h.callback, scope="openid email",
                           code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(f"{h.browser_base}/oauth2/authorize",
                                             code_verifier=verifier, nonce=nonce, **params)
    return Authorization(rp=rp, url=url, state=state, nonce=nonce, verifier=verifier)


def jwks_key(issuer: str, token: str) -> Any:
    kid = jwt.get_unverified_header(token)["kid"]
    keys = requests.get(f"{issuer}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()["keys"]
    found = [k for k in keys if k["kid"] == kid]
    assert found, f"kid {kid} not in the pool's JWKS {[k['kid'] for k in keys]}"
    return jwt.PyJWK(found[0])


def signed_in(h: Hosted, auth: Authorization, page: Any, app_site: AppSite) -> dict:
    """Waits for the browser to land on the app's callback with a code for ``auth``, exchanges
    the code and returns the verified ID token's claims."""
    landed = app_site.wait(page)
    params = {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}
    assert params.get("state") == auth.state, landed
    assert params.get("code"), landed
    assert "cognito" in {c["name"] for c in page.context.cookies()}, "no session cookie"
    token = auth.rp.fetch_token(f"{h.api}/oauth2/token", authorization_response=landed,
                                code_verifier=auth.verifier)
    id_token = token["id_token"]
    claims = jwt.decode(id_token, jwks_key(h.issuer, id_token), algorithms=["RS256"],
                        audience=h.client_id, issuer=h.issuer,
                        options={"require": ["exp", "iat", "iss", "aud", "sub", "auth_time"]})
    assert claims["token_use"] == "id" and claims.get("nonce") == auth.nonce, claims
    return claims


# =========================================================================== page helpers


def heading(page: Any, name: str) -> None:
    """Waits for the page whose one heading is ``name``."""
    page.get_by_role("heading", name=name, level=1, exact=True).wait_for()


def alert_text(page: Any) -> str:
    alert = page.get_by_role("alert")
    alert.wait_for()
    return alert.inner_text().strip()


def status_text(page: Any) -> str:
    status = page.get_by_role("status")
    status.wait_for()
    return status.inner_text().strip()


def to_login(page: Any, auth: Authorization) -> None:
    page.goto(auth.url)
    page.wait_for_url(re.compile(r"^[^?#]*/login\?"))
    heading(page, "Sign in")


def sign_in(page: Any, username: str | None, password: str) -> None:
    """Fills the sign-in form (``username=None`` keeps the one already there) and submits."""
    if username is not None:
        page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def enter_code(page: Any, code: str, button: str) -> None:
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name=button).click()


def check_page(page: Any, name: str) -> None:
    assert_accessible(page, name)
    screenshot(page, name)


# =========================================================================== sign-up


def test_sign_up_in_the_browser_lands_signed_in_at_the_app(cognate, idp, page, app_site,
                                                           smtp_server):
    """The seed story: sign-up link, form, emailed code (a wrong one first), then straight
    back to the app signed in, with a verified email in the ID token. A client with a
    secret: the pages sign their own calls."""
    h = hosted(cognate, idp, app_site, secret=True)
    auth = authorization(h)
    username, email = unique_name("signup"), unique_email("signup")

    to_login(page, auth)
    page.get_by_role("link", name="Need an account? Sign up").click()
    heading(page, "Sign up")
    assert urlsplit(page.url).path == "/signup", page.url
    # A pool with usernames, auto-verifying email: Username, Email, Password.
    labels = page.locator("form label").all_inner_texts()
    assert [t.strip() for t in labels] == ["Username", "Email", "Password"], labels
    check_page(page, "signup")

    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    heading(page, "Confirm your account")
    assert page.get_by_role("link", name="Send a new code").is_visible()
    assert page.get_by_role("alert").count() == 0
    user = h.app.admin_get_user(username)
    assert user["UserStatus"] == "UNCONFIRMED", user
    check_page(page, "confirm")

    code = smtp_server.wait_for_mail(email).code
    enter_code(page, wrong_code(code), "Confirm account")
    assert alert_text(page) == WRONG_CODE_MESSAGE
    heading(page, "Confirm your account")
    code_field = page.get_by_label("Code", exact=True)
    assert code_field.get_attribute("aria-invalid") == "true"
    assert app_site.paths == []
    assert h.app.admin_get_user(username)["UserStatus"] == "UNCONFIRMED"

    enter_code(page, code, "Confirm account")
    claims = signed_in(h, auth, page, app_site)
    assert claims["cognito:username"] == username, claims
    assert claims["email"] == email and claims["email_verified"] is True, claims
    assert claims["sub"] == next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    assert h.app.admin_get_user(username)["UserStatus"] == "CONFIRMED"
    # The sign-up cookie was spent with the confirmation.
    assert "cognito-signup" not in {c["name"] for c in page.context.cookies() if c["value"]}


def test_a_password_the_policy_refuses_is_announced_and_the_email_kept(cognate, idp, page,
                                                                       app_site, smtp_server):
    """Email-as-username pool: the form asks for Email and Password only; a weak password
    is refused with Cognito's InvalidPasswordException message, no user is made, no mail
    goes out; the corrected form goes on to the end."""
    h = hosted(cognate, idp, app_site, UsernameAttributes=["email"])
    auth = authorization(h)
    email = unique_email("policy")

    to_login(page, auth)
    page.get_by_role("link", name="Need an account? Sign up").click()
    heading(page, "Sign up")
    labels = [t.strip() for t in page.locator("form label").all_inner_texts()]
    assert labels == ["Email", "Password"], labels
    assert page.get_by_label("Username").count() == 0

    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill("lowercase1!")
    page.get_by_role("button", name="Sign up").click()
    assert alert_text(page) == POLICY_UPPERCASE
    heading(page, "Sign up")
    assert page.get_by_label("Email", exact=True).input_value() == email
    assert page.get_by_label("Password", exact=True).input_value() == ""
    assert page.get_by_label("Password", exact=True).get_attribute("aria-invalid") == "true"
    assert idp.list_users(UserPoolId=h.pool_id)["Users"] == []
    smtp_server.assert_no_mail(email, wait=0.3)
    assert_accessible(page, "sign-up form with an error")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    heading(page, "Confirm your account")
    enter_code(page, smtp_server.wait_for_mail(email).code, "Confirm account")
    claims = signed_in(h, auth, page, app_site)
    assert claims["email"] == email and claims["email_verified"] is True, claims
    # Email as username: Cognito's username is a UUID, the sub.
    assert claims["cognito:username"] == claims["sub"] != email, claims


def test_a_pool_without_self_sign_up_offers_none(cognate, idp, page, app_site):
    h = hosted(cognate, idp, app_site, AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})
    auth = authorization(h)

    to_login(page, auth)
    assert page.get_by_role("link", name="Forgot your password?").is_visible()
    assert page.get_by_role("link", name=re.compile("Sign up")).count() == 0

    query = urlsplit(auth.url).query
    page.goto(f"{h.browser_base}/signup?{query}")
    assert alert_text(page) == SIGN_UP_REFUSED
    assert page.get_by_role("button", name="Sign up").count() == 0
    assert page.get_by_label("Email").count() == 0

    # Posting the form anyway (with this browser's CSRF token) makes no user either.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "XSRF-TOKEN")
    response = page.request.post(f"{h.browser_base}/signup?{query}", form={
        "_csrf": csrf, "username": unique_name(), "email": unique_email(), "password": PASSWORD})
    refused = re.search(r'role="alert"[^>]*>([^<]*)<', response.text())
    assert refused, response.text()
    # The page's refusal, or Cognito's NotAuthorizedException message for SignUp.
    assert refused.group(1) in (SIGN_UP_REFUSED, "SignUp is not permitted for this user pool"), \
        refused.group(1)
    assert "Confirm your account" not in response.text(), response.text()
    assert idp.list_users(UserPoolId=h.pool_id)["Users"] == []


def test_confirming_in_another_browser_asks_for_a_sign_in(cognate, idp, browser, page,
                                                         app_site, smtp_server):
    """Signed up in one browser, confirmed in another (which never signed up): the account
    is confirmed but that browser is not signed in; it signs in with the password. The
    second browser asks for a new code first ("Send a new code")."""
    h = hosted(cognate, idp, app_site)
    auth = authorization(h)
    username, email = unique_name("other"), unique_email("other")

    to_login(page, auth)
    page.get_by_role("link", name="Need an account? Sign up").click()
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    heading(page, "Confirm your account")
    first = smtp_server.wait_for_mail(email)

    other = browser.new_context()
    try:
        other.set_default_timeout(10_000)
        second = other.new_page()
        query = urlsplit(auth.url).query + "&" + urlencode({"username": username})
        second.goto(f"{h.browser_base}/confirm?{query}")
        heading(second, "Confirm your account")
        second.get_by_role("link", name="Send a new code").click()
        heading(second, "Confirm your account")
        resent = smtp_server.wait_for_mail(email, after=first)
        assert second.get_by_role("alert").count() == 0

        enter_code(second, resent.code, "Confirm account")
        heading(second, "Sign in")
        assert status_text(second) == CONFIRMED_NOTICE
        assert second.get_by_label("Username", exact=True).input_value() == username
        assert "cognito" not in {c["name"] for c in other.cookies()}
        assert app_site.paths == []
        assert h.app.admin_get_user(username)["UserStatus"] == "CONFIRMED"

        sign_in(second, None, PASSWORD)
        claims = signed_in(h, auth, second, app_site)
        assert claims["cognito:username"] == username and claims["email"] == email, claims
        assert claims["email_verified"] is True, claims
    finally:
        other.close()


def test_an_unconfirmed_user_signing_in_confirms_with_a_new_code(cognate, idp, page, app_site,
                                                                smtp_server):
    """SignUp through the API, never confirmed: the sign-in form sends a new code and shows
    the code page; the code confirms the account (no sign-up in this browser, so a sign-in
    follows). A client with a secret."""
    h = hosted(cognate, idp, app_site, secret=True)
    user = sign_up_user(h.app)
    first = smtp_server.wait_for_mail(user.email)
    auth = authorization(h)

    to_login(page, auth)
    sign_in(page, user.username, user.password)
    heading(page, "Confirm your account")
    assert status_text(page) == NOT_CONFIRMED_NOTICE
    resent = smtp_server.wait_for_mail(user.email, after=first)
    assert app_site.paths == []

    enter_code(page, resent.code, "Confirm account")
    heading(page, "Sign in")
    assert status_text(page) == CONFIRMED_NOTICE
    assert h.app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    sign_in(page, None, user.password)
    claims = signed_in(h, auth, page, app_site)
    assert claims["cognito:username"] == user.username and claims["sub"] == user.sub, claims
    assert claims["email"] == user.email and claims["email_verified"] is True, claims


# =========================================================================== passwords


def test_forgot_password_with_the_emailed_code(cognate, idp, page, app_site, smtp_server):
    """Forgot your password? -> username -> emailed code and a new password (a wrong code
    first) -> the sign-in form; the old password fails, the new one signs in."""
    h = hosted(cognate, idp, app_site, secret=True)
    user = sign_up_user(h.app)
    h.app.confirm(user.username, smtp_server.wait_for_mail(user.email).code)
    before = smtp_server.messages(user.email)[-1]
    auth = authorization(h)

    to_login(page, auth)
    page.get_by_role("link", name="Forgot your password?").click()
    heading(page, "Forgot your password?")
    assert urlsplit(page.url).path == "/forgotPassword", page.url
    check_page(page, "forgot-password")
    page.get_by_label("Username", exact=True).fill(user.username)
    page.get_by_role("button", name="Reset my password").click()
    heading(page, "Reset your password")
    check_page(page, "reset-password")
    code = smtp_server.wait_for_mail(user.email, after=before).code

    def enter_reset(code: str) -> None:
        page.get_by_label("Code", exact=True).fill(code)
        page.get_by_label("New password", exact=True).fill(OTHER_PASSWORD)
        page.get_by_role("button", name="Change password").click()

    enter_reset(wrong_code(code))
    assert alert_text(page) == WRONG_CODE_MESSAGE
    heading(page, "Reset your password")
    h.app.tokens(user.username, user.password)  # still the old password

    enter_reset(code)
    heading(page, "Sign in")
    assert status_text(page) == CHANGED_NOTICE
    assert page.get_by_label("Username", exact=True).input_value() == user.username

    sign_in(page, None, user.password)
    assert alert_text(page) == INCORRECT
    assert app_site.paths == []
    sign_in(page, user.username, OTHER_PASSWORD)
    claims = signed_in(h, auth, page, app_site)
    assert claims["cognito:username"] == user.username, claims


def test_a_temporary_password_is_changed_on_the_way_in(cognate, idp, page, app_site):
    """AdminCreateUser with a temporary password: sign in, then the new-password page (a
    password the policy refuses first), then the app."""
    h = hosted(cognate, idp, app_site)
    user = admin_create_user(h.app, temporary=PASSWORD)
    auth = authorization(h)

    to_login(page, auth)
    sign_in(page, user.username, PASSWORD)
    heading(page, "Change your password")
    assert urlsplit(page.url).path == "/login", page.url
    check_page(page, "new-password")

    page.get_by_label("New password", exact=True).fill("lowercase1!")
    page.get_by_role("button", name="Continue").click()
    assert alert_text(page) == POLICY_UPPERCASE
    heading(page, "Change your password")
    assert app_site.paths == []

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    claims = signed_in(h, auth, page, app_site)
    assert claims["cognito:username"] == user.username and claims["sub"] == user.sub, claims
    assert h.app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    h.app.tokens(user.username, NEW_PASSWORD)


# =========================================================================== MFA


def test_authenticator_app_set_up_then_asked_for(cognate, idp, browser, page, app_site):
    """MFA required, authenticator apps only: the first sign-in sets one up (the key shown,
    a pyotp code), the next one in a new browser asks for its code (a wrong one first).
    The server accepts one step of skew either way, and each step once."""
    h = hosted(cognate, idp, app_site)
    idp.set_user_pool_mfa_config(UserPoolId=h.pool_id, MfaConfiguration="ON",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    user = admin_create_user(h.app)
    idp.admin_set_user_password(UserPoolId=h.pool_id, Username=user.username,
                                Password=PASSWORD, Permanent=True)
    auth = authorization(h)

    to_login(page, auth)
    sign_in(page, user.username, PASSWORD)
    heading(page, "Set up an authenticator app")
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    check_page(page, "mfa-setup")
    enter_code(page, pyotp.TOTP(secret).now(), "Continue")
    claims = signed_in(h, auth, page, app_site)
    assert claims["cognito:username"] == user.username, claims
    mfa = idp.admin_get_user(UserPoolId=h.pool_id, Username=user.username)
    assert mfa.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"], mfa
    assert mfa.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA", mfa

    other = browser.new_context()
    try:
        other.set_default_timeout(10_000)
        second = other.new_page()
        again = authorization(h)
        to_login(second, again)
        sign_in(second, user.username, PASSWORD)
        heading(second, "Enter your code")
        assert second.locator("#totp-secret").count() == 0
        check_page(second, "mfa-code")

        # The next step's code: inside the one-step skew, and never the step spent above.
        good = pyotp.TOTP(secret).at(time.time() + 30)
        enter_code(second, wrong_code(good), "Continue")
        assert alert_text(second) == TOTP_MISMATCH
        heading(second, "Enter your code")
        assert len(app_site.paths) == 1, app_site.paths  # the first sign-in's callback only

        enter_code(second, good, "Continue")
        claims = signed_in(h, again, second, app_site)
        assert claims["cognito:username"] == user.username, claims
    finally:
        other.close()


def test_a_wrong_answer_on_a_step_keeps_the_step_and_marks_its_field(cognate, idp, page,
                                                                     app_site):
    """After a wrong answer each step's page comes back with the error tied to its field
    (aria-invalid, aria-describedby to the alert), as the sign-in, sign-up, confirmation and
    reset forms do; the authenticator app's page keeps the key already added to the app.
    Temporary password -> new password -> app setup -> (a later sign-in) app code."""
    h = hosted(cognate, idp, app_site)
    idp.set_user_pool_mfa_config(UserPoolId=h.pool_id, MfaConfiguration="ON",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    user = admin_create_user(h.app, temporary=PASSWORD)
    auth = authorization(h)
    problems: list[str] = []

    def marked(label: str, where: str) -> None:
        field = page.get_by_label(label, exact=True)
        alert_id = page.get_by_role("alert").get_attribute("id")
        got = (field.get_attribute("aria-invalid"), field.get_attribute("aria-describedby"))
        if not alert_id or got != ("true", alert_id):
            problems.append(f"{where}: field {label!r} has aria-invalid/aria-describedby {got}, "
                            f"the alert's id is {alert_id!r}")

    to_login(page, auth)
    sign_in(page, user.username, PASSWORD)
    heading(page, "Change your password")
    page.get_by_label("New password", exact=True).fill("lowercase1!")
    page.get_by_role("button", name="Continue").click()
    assert alert_text(page) == POLICY_UPPERCASE
    heading(page, "Change your password")
    marked("New password", "new-password page")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()

    heading(page, "Set up an authenticator app")
    secret = page.locator("#totp-secret").inner_text().strip()
    enter_code(page, wrong_code(pyotp.TOTP(secret).now()), "Continue")
    alert = alert_text(page)
    title = page.locator("h1").inner_text().strip()
    assert title == "Set up an authenticator app", (
        f"a wrong code on the setup page led to the {title!r} page (alert {alert!r}), not "
        "back to the setup page with its key", problems)
    # The page words it for people, not with the API's "Code mismatch and fail enable ..."
    assert alert == "Invalid code. Enter the code your authenticator app shows now.", alert
    assert page.locator("#totp-secret").inner_text().strip() == secret, "a different key"
    marked("Code", "authenticator setup page")
    enter_code(page, pyotp.TOTP(secret).now(), "Continue")
    signed_in(h, auth, page, app_site)

    again = authorization(h, prompt="login")
    to_login(page, again)
    sign_in(page, user.username, NEW_PASSWORD)
    heading(page, "Enter your code")
    good = pyotp.TOTP(secret).at(time.time() + 30)
    enter_code(page, wrong_code(good), "Continue")
    assert alert_text(page) == TOTP_MISMATCH
    marked("Code", "authenticator code page")
    enter_code(page, good, "Continue")
    signed_in(h, again, page, app_site)
    assert problems == []
