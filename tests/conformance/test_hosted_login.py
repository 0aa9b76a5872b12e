"""The hosted sign-in pages (Cognito's managed login) and the OAuth endpoints behind them:
``/oauth2/authorize``, ``/login``, ``/logout``, ``/error``, ``/oauth2/token`` (code and
refresh grants), ``/oauth2/userInfo`` and ``/oauth2/revoke``.

Part A drives the real pages in chromium (browser.py), with Authlib's ``OAuth2Session`` as the
relying party: it builds the authorize URL (state, nonce, PKCE S256), exchanges the code and
its tokens are checked with PyJWT against the pool's JWKS. The browser talks to cognate as
``http://localhost:PORT`` (a dev setup: a secure context, host-only cookies); the app's
callback ``http://localhost:<port>/cb`` is a tiny recording HTTP server (fixture ``app_site``)
and the code is read from the page's URL. (Not ``page.route``: with this chromium, Playwright
does not intercept the target of a server redirect, so the navigation went to the network.)

Part B drives the same endpoints with ``requests`` (no browser): ``/login`` by GET (the
``_csrf`` hidden field, the ``XSRF-TOKEN`` cookie kept in the session) and POST.

Not covered: code expiry after 5 minutes (the harness has no fake clock); the sign-up,
confirmation, forgotten-password and MFA pages (only that an unconfirmed user is sent to the
confirmation page).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from browser import assert_accessible, screenshot
from harness import free_port
from helpers import (INCORRECT, PASSWORD, App, make_client, make_pool, sign_up_user, tag,
                     unique_email, unique_name)

ERROR_PAGE_TEXT = "An error was encountered with the requested page."
TOKEN_KEYS = {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
ALL_SCOPES = ["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"]
INVALID_TOKEN = ('error="invalid_token", error_description="Access token is expired, disabled, '
                 'or deleted, or the user has globally signed out."')
HTTP_TIMEOUT = 30


# =========================================================================== setup


@dataclass
class Hosted:
    """A pool, an OAuth app client on it and one confirmed user with a verified email."""

    server: Any
    idp: Any
    pool_id: str
    client_id: str
    client_secret: str | None
    callback: str  # registered; never served
    logout_uri: str  # registered in LogoutURLs
    username: str
    email: str
    sub: str

    @property
    def api(self) -> str:  # what scripts (the relying party's back end) call
        return self.server.url

    @property
    def browser_base(self) -> str:  # what the browser calls: the dev host name
        return self.server.url.replace("127.0.0.1", "localhost")

    @property
    def issuer(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    @property
    def callback_origin(self) -> str:
        parts = urlsplit(self.callback)
        return f"{parts.scheme}://{parts.netloc}"


def oauth_client(idp: Any, pool_id: str, callback: str, *, flows: tuple[str, ...] = ("code",),
                 scopes: list[str] | None = None, callbacks: list[str] | None = None,
                 logout_urls: list[str] | None = None, **extra: Any) -> dict:
    return make_client(
        idp, pool_id,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=list(flows),
        AllowedOAuthScopes=scopes or ALL_SCOPES,
        CallbackURLs=callbacks or [callback],
        LogoutURLs=logout_urls,
        SupportedIdentityProviders=["COGNITO"],
        **extra,
    )


def create_user(idp: Any, pool_id: str, *, extra_attributes: list[dict] | None = None,
                enabled: bool = True) -> tuple[str, str, str]:
    """AdminCreateUser + AdminSetUserPassword(Permanent): CONFIRMED, email verified."""
    username = unique_name("hosted")
    email = unique_email("hosted")
    response = idp.admin_create_user(
        UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
        TemporaryPassword=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email},
                        {"Name": "email_verified", "Value": "true"}, *(extra_attributes or [])],
    )
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD,
                                Permanent=True)
    if not enabled:
        idp.admin_disable_user(UserPoolId=pool_id, Username=username)
    sub = next(a["Value"] for a in response["User"]["Attributes"] if a["Name"] == "sub")
    return username, email, sub


def hosted(server: Any, idp: Any, *, flows: tuple[str, ...] = ("code",),
           scopes: list[str] | None = None, pool_args: dict | None = None,
           extra_attributes: list[dict] | None = None, more_callbacks: tuple[str, ...] = (),
           origin: str | None = None, **client_args: Any) -> Hosted:
    """``origin``: the app's (default: an unserved localhost port); ``more_callbacks``: paths
    of further registered callbacks there."""
    pool = make_pool(idp, **(pool_args or {}))
    origin = origin or f"http://localhost:{free_port()}"
    callback = f"{origin}/cb"
    logout_uri = f"{origin}/signed-out"
    client = oauth_client(idp, pool["Id"], callback, flows=flows, scopes=scopes,
                          callbacks=[callback, *(origin + p for p in more_callbacks)],
                          logout_urls=[logout_uri], **client_args)
    username, email, sub = create_user(idp, pool["Id"], extra_attributes=extra_attributes)
    return Hosted(server=server, idp=idp, pool_id=pool["Id"], client_id=client["ClientId"],
                  client_secret=client.get("ClientSecret"), callback=callback,
                  logout_uri=logout_uri, username=username, email=email, sub=sub)


# =========================================================================== tokens


def jwks_key(issuer: str, token: str) -> Any:
    kid = jwt.get_unverified_header(token)["kid"]
    keys = requests.get(f"{issuer}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()["keys"]
    found = [k for k in keys if k["kid"] == kid]
    assert found, f"kid {kid} not in the pool's JWKS {[k['kid'] for k in keys]}"
    return jwt.PyJWK(found[0])


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def verified_id_token(h: Hosted, id_token: str, access_token: str,
                      nonce: str | None = None) -> dict:
    """The ID token's claims after checking signature, iss, aud, exp, nonce and at_hash."""
    claims = jwt.decode(id_token, jwks_key(h.issuer, id_token), algorithms=["RS256"],
                        audience=h.client_id, issuer=h.issuer,
                        options={"require": ["exp", "iat", "iss", "aud", "sub", "auth_time"]})
    assert claims["token_use"] == "id", claims
    assert claims["exp"] > time.time(), claims
    assert claims.get("nonce") == nonce, claims
    assert "at_hash" in claims, claims
    assert claims["at_hash"] == at_hash(access_token), claims
    return claims


def verified_access_token(h: Hosted, access_token: str) -> dict:
    claims = jwt.decode(access_token, jwks_key(h.issuer, access_token), algorithms=["RS256"],
                        issuer=h.issuer, options={"verify_aud": False,
                                                  "require": ["exp", "iat", "iss", "sub"]})
    assert claims["token_use"] == "access", claims
    assert claims["client_id"] == h.client_id, claims
    return claims


def relying_party(h: Hosted, scope: str, **kwargs: Any) -> OAuth2Session:
    """Authlib's client: a public client (client_id in the body) unless the client has a secret."""
    if h.client_secret:
        return OAuth2Session(h.client_id, h.client_secret, redirect_uri=h.callback, scope=scope,
                             code_challenge_method="S256", **kwargs)
    return OAuth2Session(h.client_id, redirect_uri=h.callback, scope=scope,
                         code_challenge_method="S256", token_endpoint_auth_method="none", **kwargs)


@dataclass
class Authorization:
    url: str
    state: str
    nonce: str
    verifier: str


def authorization(rp: OAuth2Session, base: str, **params: str) -> Authorization:
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(f"{base}/oauth2/authorize", code_verifier=verifier,
                                             nonce=nonce, **params)
    return Authorization(url=url, state=state, nonce=nonce, verifier=verifier)


def raw_token_responses(rp: OAuth2Session) -> list[requests.Response]:
    """Every raw token-endpoint response the session gets from now on."""
    seen: list[requests.Response] = []

    def hook(response: requests.Response) -> requests.Response:
        seen.append(response)
        return response

    rp.register_compliance_hook("access_token_response", hook)
    return seen


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


# =========================================================================== browser helpers


class AppSite:
    """The app's origin: a tiny HTTP server on 127.0.0.1 (the browser reaches it as
    ``http://localhost:<port>``) answering 200 to every GET and recording each path+query.
    Fragments never reach a server: ``wait`` returns the page's URL, which keeps them."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/favicon.ico":  # the browser's own request
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
        """The page's URL once it is on the app's ``path`` (fragment included)."""
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


def track_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def submit_login(page: Any, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def on_login_form(page: Any) -> None:
    page.wait_for_url(re.compile(r"^[^?#]*/login\?"))
    assert page.get_by_label("Username").is_visible()
    assert page.get_by_label("Password").is_visible()


def alert_text(page: Any) -> str:
    alert = page.get_by_role("alert")
    alert.wait_for()
    return alert.inner_text().strip()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def fragment_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).fragment, keep_blank_values=True).items()}


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


# =========================================================================== A. browser


def test_code_grant_with_pkce_through_the_sign_in_form(cognate, idp, page, app_site):
    h = hosted(cognate, idp, origin=app_site.origin)
    rp = relying_party(h, "email profile openid aws.cognito.signin.user.admin")
    raw = raw_token_responses(rp)
    auth = authorization(rp, h.browser_base)

    page.goto(auth.url)
    on_login_form(page)
    submit_login(page, h.username, PASSWORD)
    landed = app_site.wait(page)

    params = query_of(landed)
    assert params["state"] == auth.state, landed
    assert "code" in params and not urlsplit(landed).fragment, landed
    # The session cookie: HttpOnly, SameSite=Lax, host-only on cognate's host.
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert "cognito" in cookies, cookies
    assert cookies["cognito"]["httpOnly"] is True and cookies["cognito"]["sameSite"] == "Lax"
    assert cookies["cognito"]["domain"] == "localhost", cookies["cognito"]

    token = rp.fetch_token(f"{h.api}/oauth2/token", authorization_response=landed,
                           code_verifier=auth.verifier)
    body = raw[-1].json()
    assert set(body) == TOKEN_KEYS, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600, body
    assert raw[-1].headers["content-type"].lower().startswith("application/json"), raw[-1].headers
    assert "no-store" in raw[-1].headers.get("cache-control", ""), raw[-1].headers

    id_claims = verified_id_token(h, token["id_token"], token["access_token"], auth.nonce)
    access = verified_access_token(h, token["access_token"])
    assert id_claims["sub"] == access["sub"] == h.sub
    assert id_claims["cognito:username"] == access["username"] == h.username
    assert id_claims["email"] == h.email and id_claims["email_verified"] is True, id_claims
    assert id_claims["auth_time"] == access["auth_time"], (id_claims, access)
    assert id_claims["origin_jti"] == access["origin_jti"], (id_claims, access)
    assert access["version"] == 2, access
    # Cognito's fixed order, whatever order the request had.
    assert access["scope"] == "aws.cognito.signin.user.admin openid profile email", access

    info = rp.get(f"{h.api}/oauth2/userInfo", timeout=HTTP_TIMEOUT)
    assert info.status_code == 200, (info.status_code, info.headers, info.text)
    assert info.json()["sub"] == id_claims["sub"], info.json()


def test_wrong_password_is_announced_accessibly(cognate, idp, page, app_site):
    h = hosted(cognate, idp, origin=app_site.origin)
    rp = relying_party(h, "openid email")
    auth = authorization(rp, h.browser_base)

    page.goto(auth.url)
    on_login_form(page)
    expect()(page.get_by_label("Username")).to_be_focused()
    assert page.get_by_role("alert").count() == 0
    assert_accessible(page, "empty sign-in form")
    screenshot(page, "login")

    submit_login(page, h.username, "Wr0ng-Password!")
    assert alert_text(page) == INCORRECT
    on_login_form(page)
    username, password = page.get_by_label("Username"), page.get_by_label("Password")
    assert username.input_value() == h.username  # kept
    assert password.input_value() == ""  # never echoed back
    for field in (username, password):
        assert field.get_attribute("aria-invalid") == "true"
        described = field.get_attribute("aria-describedby")
        assert described and page.locator(f"#{described}").inner_text().strip() == INCORRECT
    expect()(password).to_be_focused()
    assert_accessible(page, "sign-in form with an error")
    screenshot(page, "login-error")
    assert app_site.paths == []

    # The form still works after the error.
    submit_login(page, h.username, PASSWORD)
    assert query_of(app_site.wait(page))["state"] == auth.state


def test_single_sign_on_prompt_login_and_logout(cognate, idp, page, app_site):
    h = hosted(cognate, idp, origin=app_site.origin)
    rp = relying_party(h, "openid email")

    first = authorization(rp, h.browser_base)
    page.goto(first.url)
    on_login_form(page)
    submit_login(page, h.username, PASSWORD)
    first_code = query_of(app_site.wait(page))["code"]
    first_tokens = rp.fetch_token(f"{h.api}/oauth2/token", authorization_response=page.url,
                                  code_verifier=first.verifier)
    first_claims = verified_id_token(h, first_tokens["id_token"], first_tokens["access_token"],
                                     first.nonce)

    # Signed in already: straight back to the app with a new code, no form.
    requests_seen = track_requests(page)
    second = authorization(rp, h.browser_base)
    page.goto(second.url)
    landed = app_site.wait(page)
    assert not [u for u in requests_seen if urlsplit(u).path == "/login"], requests_seen
    params = query_of(landed)
    assert params["state"] == second.state and params["code"] != first_code, landed
    second_tokens = rp.fetch_token(f"{h.api}/oauth2/token", authorization_response=landed,
                                   code_verifier=second.verifier)
    second_claims = verified_id_token(h, second_tokens["id_token"],
                                      second_tokens["access_token"], second.nonce)
    assert second_claims["sub"] == h.sub
    # No new authentication happened: auth_time is the sign-in's.
    assert second_claims["auth_time"] == first_claims["auth_time"], (first_claims, second_claims)

    # prompt=login: the form again despite the session.
    forced = authorization(rp, h.browser_base, prompt="login")
    page.goto(forced.url)
    on_login_form(page)

    # Logout: to the registered sign-out URL exactly (no state added), session gone.
    page.goto(f"{h.browser_base}/logout?" + urlencode({"client_id": h.client_id,
                                                        "logout_uri": h.logout_uri}))
    assert app_site.wait(page, "/signed-out") == h.logout_uri
    assert "cognito" not in {c["name"] for c in page.context.cookies() if c["value"]}
    after = authorization(rp, h.browser_base)
    page.goto(after.url)
    on_login_form(page)
    assert app_site.paths[-1] == "/signed-out"  # nothing went to the app after the logout


def test_unregistered_redirect_uri_ends_on_the_error_page(cognate, idp, page, app_site):
    h = hosted(cognate, idp, origin=app_site.origin)
    # A foreign site (a redirect there would fail to resolve and fail the navigation), and
    # near misses on the app's own origin (any hit would be recorded by app_site).
    for bad in ("http://evil.example/cb", h.callback + "/", h.callback_origin + "/other",
                h.callback.upper()):
        rp = OAuth2Session(h.client_id, redirect_uri=bad, scope="openid")
        url, _ = rp.create_authorization_url(f"{h.browser_base}/oauth2/authorize")
        response = page.goto(url)
        assert urlsplit(page.url).netloc == urlsplit(h.browser_base).netloc, page.url
        assert urlsplit(page.url).path == "/error", page.url
        assert response is not None and response.status == 400, response and response.status
        assert page.get_by_role("alert").inner_text().strip() == ERROR_PAGE_TEXT
        assert page.get_by_label("Password").count() == 0
    assert app_site.paths == []
    assert_accessible(page, "error page")
    screenshot(page, "error")


def test_implicit_grant_puts_tokens_in_the_fragment(cognate, idp, page, app_site):
    h = hosted(cognate, idp, flows=("implicit",), origin=app_site.origin)

    rp = relying_party(h, "openid email")
    nonce, state = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url, _ = rp.create_authorization_url(f"{h.browser_base}/oauth2/authorize",
                                         response_type="token", state=state, nonce=nonce)
    page.goto(url)
    on_login_form(page)
    submit_login(page, h.username, PASSWORD)
    landed = app_site.wait(page)
    assert urlsplit(landed).query == "", landed  # nothing in the query
    tokens = fragment_of(landed)
    assert set(tokens) == {"id_token", "access_token", "expires_in", "token_type", "state"}, tokens
    assert tokens["state"] == state and tokens["token_type"] == "Bearer", tokens
    assert tokens["expires_in"] == "3600", tokens
    claims = jwt.decode(tokens["id_token"], jwks_key(h.issuer, tokens["id_token"]),
                        algorithms=["RS256"], audience=h.client_id, issuer=h.issuer)
    assert claims["nonce"] == nonce and claims["sub"] == h.sub, claims
    access = verified_access_token(h, tokens["access_token"])
    assert access["scope"] == "openid email", access
    info = requests.get(f"{h.api}/oauth2/userInfo", timeout=HTTP_TIMEOUT,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == h.sub, info.text

    # Without openid: an access token alone (single sign-on this time, no form).
    rp = relying_party(h, "aws.cognito.signin.user.admin")
    url, state = rp.create_authorization_url(f"{h.browser_base}/oauth2/authorize",
                                             response_type="token")
    page.goto(url)
    tokens = fragment_of(app_site.wait(page))
    assert set(tokens) == {"access_token", "expires_in", "token_type", "state"}, tokens
    assert tokens["state"] == state
    assert verified_access_token(h, tokens["access_token"])["scope"] == \
        "aws.cognito.signin.user.admin"

    # The implicit client cannot get a code.
    rp = relying_party(h, "openid")
    url, state = rp.create_authorization_url(f"{h.browser_base}/oauth2/authorize")
    page.goto(url)
    landed = app_site.wait(page)
    refused = {**query_of(landed), **fragment_of(landed)}
    assert refused == {"error": "unauthorized_client", "state": state}, landed


def test_pool_domain_host_serves_its_own_pool_only(cognate, idp, page, app_site):
    h = hosted(cognate, idp, origin=app_site.origin)
    prefix = f"myapp-{tag()}"
    idp.create_user_pool_domain(Domain=prefix, UserPoolId=h.pool_id)
    domain_base = f"http://{prefix}.auth.localhost:{cognate.port}"

    rp = relying_party(h, "openid email")
    auth = authorization(rp, domain_base)
    page.goto(auth.url)
    on_login_form(page)
    assert urlsplit(page.url).netloc == f"{prefix}.auth.localhost:{cognate.port}", page.url
    submit_login(page, h.username, PASSWORD)
    landed = app_site.wait(page)
    token = rp.fetch_token(f"{h.api}/oauth2/token", authorization_response=landed,
                           code_verifier=auth.verifier)
    claims = verified_id_token(h, token["id_token"], token["access_token"], auth.nonce)
    assert claims["sub"] == h.sub and claims["iss"] == h.issuer, claims

    # Another pool's client on this pool's domain: refused on the error page.
    other_pool = make_pool(idp)
    other = oauth_client(idp, other_pool["Id"], h.callback)
    before = len(app_site.paths)
    url, _ = OAuth2Session(other["ClientId"], redirect_uri=h.callback, scope="openid") \
        .create_authorization_url(f"{domain_base}/oauth2/authorize")
    page.goto(url)
    assert urlsplit(page.url).netloc == f"{prefix}.auth.localhost:{cognate.port}", page.url
    assert urlsplit(page.url).path == "/error", page.url
    assert page.get_by_role("alert").inner_text().strip() == ERROR_PAGE_TEXT
    assert len(app_site.paths) == before


def test_disabled_and_unconfirmed_users_cannot_sign_in(cognate, idp, page, app_site):
    h = hosted(cognate, idp, origin=app_site.origin)
    disabled, _, _ = create_user(idp, h.pool_id, enabled=False)
    app = App(idp=idp, pool={"Id": h.pool_id}, client={"ClientId": h.client_id})
    unconfirmed = sign_up_user(app)
    rp = relying_party(h, "openid")

    page.goto(authorization(rp, h.browser_base).url)
    on_login_form(page)
    submit_login(page, disabled, PASSWORD)
    assert alert_text(page) == "User is disabled."
    on_login_form(page)

    # Unconfirmed (SignUp only): not signed in; sent on to confirm the account, told why.
    submit_login(page, unconfirmed.username, PASSWORD)
    page.get_by_role("heading", name="Confirm your account").wait_for()
    assert "not confirmed" in page.get_by_role("status").inner_text(), page.content()
    assert app_site.paths == []
    assert "cognito" not in {c["name"] for c in page.context.cookies()}


# =========================================================================== B. HTTP


def authorize_params(h: Hosted, **params: str | None) -> dict[str, str]:
    base = {"client_id": h.client_id, "redirect_uri": h.callback, "response_type": "code",
            "scope": "openid email", "state": secrets.token_urlsafe(12)}
    base.update(params)
    return {k: v for k, v in base.items() if v is not None}


@dataclass
class LoginPage:
    session: requests.Session
    response: requests.Response
    action: str  # absolute URL of the form's POST
    csrf: str


def get_login(h: Hosted, session: requests.Session | None = None,
              **params: str | None) -> LoginPage:
    """GET /oauth2/authorize (→ 302 /login) and GET /login: the form's action and _csrf."""
    session = session or requests.Session()
    start = session.get(f"{h.api}/oauth2/authorize", params=authorize_params(h, **params),
                        allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert start.status_code == 302, (start.status_code, start.text)
    location = start.headers["location"]
    assert urlsplit(location).path == "/login", location
    form = session.get(h.api + location if location.startswith("/") else location,
                       allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert form.status_code == 200, (form.status_code, form.text)
    csrf = re.search(r'<input type="hidden" name="_csrf" value="([^"]*)"', form.text)
    action = re.search(r'<form[^>]*\saction="([^"]*)"', form.text)
    assert csrf and action, form.text
    return LoginPage(session=session, response=form, csrf=html.unescape(csrf.group(1)),
                     action=h.api + html.unescape(action.group(1)))


def post_login(page: LoginPage, username: str, password: str = PASSWORD,
               csrf: str | None = "keep") -> requests.Response:
    data = {"username": username, "password": password}
    if csrf == "keep":
        data["_csrf"] = page.csrf
    elif csrf is not None:
        data["_csrf"] = csrf
    return page.session.post(page.action, data=data, allow_redirects=False, timeout=HTTP_TIMEOUT)


def sign_in(h: Hosted, **params: str | None) -> tuple[LoginPage, requests.Response]:
    login = get_login(h, **params)
    response = post_login(login, h.username)
    assert response.status_code == 302, (response.status_code, response.text)
    return login, response


def code_for(h: Hosted, **params: str | None) -> str:
    _, response = sign_in(h, **params)
    location = response.headers["location"]
    assert location.startswith(h.callback + "?"), location
    return query_of(location)["code"]


def token_call(h: Hosted, client_id: str | None = None, **form: str | None) -> requests.Response:
    data = {"client_id": client_id or h.client_id, **form}
    return requests.post(f"{h.api}/oauth2/token", timeout=HTTP_TIMEOUT,
                         data={k: v for k, v in data.items() if v is not None})


def redeem(h: Hosted, code: str, client_id: str | None = None, redirect_uri: str | None = "same",
           verifier: str | None = None) -> requests.Response:
    return token_call(h, client_id, grant_type="authorization_code", code=code,
                      redirect_uri=h.callback if redirect_uri == "same" else redirect_uri,
                      code_verifier=verifier)


def assert_token_error(response: requests.Response, error: str,
                       description: str | None = None) -> None:
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers["content-type"].lower().startswith("application/json"), response.headers
    body = response.json()
    assert body.get("error") == error, body
    if description is not None:
        assert body.get("error_description") == description, body


def redirect_error(h: Hosted, **params: str | None) -> dict[str, str]:
    """An authorize request the server refuses back to the app: the error parameters."""
    sent = authorize_params(h, **params)
    response = requests.get(f"{h.api}/oauth2/authorize", params=sent, allow_redirects=False,
                            timeout=HTTP_TIMEOUT)
    assert response.status_code == 302, (response.status_code, response.text)
    location = response.headers["location"]
    assert location.startswith(h.callback), location
    found = {**query_of(location), **fragment_of(location)}
    assert "code" not in found and "access_token" not in found, location
    assert found.get("state") == sent["state"], location
    return found


def error_page_redirect(h: Hosted, response: requests.Response) -> str:
    """A 302 to cognate's own /error page, which is then shown with Cognito's text."""
    assert response.status_code == 302, (response.status_code, response.text)
    location = response.headers["location"]
    assert urlsplit(location).path == "/error" and not urlsplit(location).netloc, location
    page = requests.get(h.api + location, timeout=HTTP_TIMEOUT)
    assert page.status_code == 400 and ERROR_PAGE_TEXT in page.text, (page.status_code, page.text)
    return location


def test_code_redemption_errors(cognate, idp):
    h = hosted(cognate, idp, more_callbacks=("/cb2",))
    second_callback = h.callback_origin + "/cb2"
    other = oauth_client(idp, h.pool_id, h.callback)

    # Reuse: the first redemption works, the second is invalid_grant.
    verifier, challenge = pkce_pair()
    code = code_for(h, code_challenge=challenge, code_challenge_method="S256")
    first = redeem(h, code, verifier=verifier)
    assert first.status_code == 200 and "access_token" in first.json(), first.text
    assert_token_error(redeem(h, code, verifier=verifier), "invalid_grant")

    # PKCE: a wrong verifier, and none at all.
    verifier, challenge = pkce_pair()
    code = code_for(h, code_challenge=challenge, code_challenge_method="S256")
    assert_token_error(redeem(h, code, verifier=pkce_pair()[0]), "invalid_grant")
    code = code_for(h, code_challenge=challenge, code_challenge_method="S256")
    assert_token_error(redeem(h, code, verifier=None), "invalid_grant")

    # A redirect_uri other than the authorize one (both registered).
    code = code_for(h)
    assert_token_error(redeem(h, code, redirect_uri=second_callback), "unauthorized_client",
                       "invalid_redirect")

    # A code of client A redeemed by client B of the same pool.
    code = code_for(h)
    assert_token_error(redeem(h, code, client_id=other["ClientId"]), "invalid_grant")

    # An unknown code.
    assert_token_error(redeem(h, "00000000-0000-4000-8000-000000000000"), "invalid_grant")


def test_login_post_needs_the_csrf_token(cognate, idp):
    h = hosted(cognate, idp)

    def refused(response: requests.Response) -> None:
        assert response.status_code == 403, (response.status_code, response.text)
        assert "location" not in response.headers, response.headers
        assert "cognito" not in response.cookies

    login = get_login(h)
    assert login.csrf and login.session.cookies.get("XSRF-TOKEN") == login.csrf
    refused(post_login(login, h.username, csrf=None))
    refused(post_login(get_login(h), h.username, csrf="0" * 48))
    # The right field without the cookie it pairs with.
    stranger = get_login(h)
    stranger.session.cookies.clear()
    refused(post_login(stranger, h.username))
    # The same form with the token goes through.
    fresh = get_login(h)
    accepted = post_login(fresh, h.username)
    assert accepted.status_code == 302, accepted.text
    assert accepted.headers["location"].startswith(h.callback + "?code="), accepted.headers


def test_login_page_headers_and_session_cookie(cognate, idp):
    h = hosted(cognate, idp)
    login = get_login(h)
    csp = login.response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert "form-action" in directives, csp
    assert "'self'" in directives["form-action"], csp
    assert h.callback_origin in directives["form-action"], csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert "'unsafe-inline'" not in csp, csp
    assert login.response.headers.get("x-frame-options", "").upper() == "DENY"
    assert "no-store" in login.response.headers.get("cache-control", "")

    xsrf = [c for c in login.response.raw.headers.getlist("Set-Cookie")
            if c.startswith("XSRF-TOKEN=")]
    assert xsrf, login.response.headers
    assert {"httponly", "samesite=lax"} <= {p.strip().lower() for p in xsrf[0].split(";")}, xsrf

    response = post_login(login, h.username)
    assert response.status_code == 302, response.text
    session = [c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("cognito=")]
    assert len(session) == 1, response.raw.headers.getlist("Set-Cookie")
    parts = {p.strip().lower() for p in session[0].split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= parts, session
    assert not [p for p in parts if p.startswith("domain=")], session  # host-only
    assert "max-age=3600" in parts, session


def test_authorize_errors_go_back_to_the_app_or_to_the_error_page(cognate, idp):
    h = hosted(cognate, idp, scopes=["openid", "email"])
    verifier, challenge = pkce_pair()

    assert redirect_error(h, response_type="token")["error"] == "unauthorized_client"
    assert redirect_error(h, scope="openid phone")["error"] == "invalid_scope"  # not allowed
    assert redirect_error(h, scope="openid nonsense")["error"] == "invalid_scope"  # unknown
    assert redirect_error(h, scope="email")["error"] == "invalid_scope"  # email needs openid
    assert redirect_error(h, code_challenge=verifier,
                          code_challenge_method="plain")["error"] == "invalid_request"
    assert redirect_error(h, code_challenge=challenge)["error"] == "invalid_request"  # no method
    assert redirect_error(h, response_type=None)["error"] == "invalid_request"
    assert redirect_error(h, response_type="id_token")["error"] in {
        "unsupported_response_type", "invalid_request"}

    # Nothing can be sent back to the app: cognate's own error page.
    error_page_redirect(h, requests.get(
        f"{h.api}/oauth2/authorize", allow_redirects=False, timeout=HTTP_TIMEOUT,
        params=authorize_params(h, client_id="1example23456789abcdefghij")))
    error_page_redirect(h, requests.get(
        f"{h.api}/oauth2/authorize", allow_redirects=False, timeout=HTTP_TIMEOUT,
        params=authorize_params(h, client_id=None)))
    error_page_redirect(h, requests.get(
        f"{h.api}/oauth2/authorize", allow_redirects=False, timeout=HTTP_TIMEOUT,
        params=authorize_params(h, redirect_uri="https://evil.example/cb")))
    # /login checks the same way: no form for an unregistered redirect.
    error_page_redirect(h, requests.get(
        f"{h.api}/login", allow_redirects=False, timeout=HTTP_TIMEOUT,
        params=authorize_params(h, redirect_uri="https://evil.example/cb")))
    # /logout with an unregistered sign-out URL: the error page, never that URL.
    error_page_redirect(h, requests.get(
        f"{h.api}/logout", allow_redirects=False, timeout=HTTP_TIMEOUT,
        params={"client_id": h.client_id, "logout_uri": "https://evil.example/out"}))


def test_refresh_grant_keeps_scopes_and_auth_time(cognate, idp):
    h = hosted(cognate, idp)
    code = code_for(h, scope="openid profile aws.cognito.signin.user.admin", nonce="n-0S6")
    first = redeem(h, code)
    assert first.status_code == 200, first.text
    tokens = first.json()
    original = verified_access_token(h, tokens["access_token"])
    original_id = verified_id_token(h, tokens["id_token"], tokens["access_token"], "n-0S6")
    time.sleep(1.1)  # so a re-stamped auth_time would show

    refreshed = token_call(h, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert set(body) == {"id_token", "access_token", "expires_in", "token_type"}, body
    assert body["token_type"] == "Bearer"
    access = verified_access_token(h, body["access_token"])
    assert access["scope"] == original["scope"] == "aws.cognito.signin.user.admin openid profile"
    assert access["auth_time"] == original["auth_time"], (original, access)
    assert access["iat"] > original["iat"], (original, access)
    assert access["jti"] != original["jti"] and access["origin_jti"] == original["origin_jti"]
    id_claims = jwt.decode(body["id_token"], jwks_key(h.issuer, body["id_token"]),
                           algorithms=["RS256"], audience=h.client_id, issuer=h.issuer)
    assert id_claims["auth_time"] == original_id["auth_time"], (original_id, id_claims)
    assert id_claims["sub"] == h.sub


def test_revoked_refresh_token_and_its_access_token_stop_working(cognate, idp):
    h = hosted(cognate, idp)
    tokens = redeem(h, code_for(h)).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{h.api}/oauth2/userInfo", headers=bearer,
                        timeout=HTTP_TIMEOUT).status_code == 200

    revoked = requests.post(f"{h.api}/oauth2/revoke", timeout=HTTP_TIMEOUT,
                            data={"token": tokens["refresh_token"], "client_id": h.client_id})
    assert revoked.status_code == 200, revoked.text
    assert_token_error(token_call(h, grant_type="refresh_token",
                                  refresh_token=tokens["refresh_token"]), "invalid_grant")
    info = requests.get(f"{h.api}/oauth2/userInfo", headers=bearer, timeout=HTTP_TIMEOUT)
    assert info.status_code == 401, (info.status_code, info.text)
    assert INVALID_TOKEN in info.headers.get("www-authenticate", ""), info.headers


def test_userinfo_refuses_missing_and_api_issued_tokens(cognate, idp):
    h = hosted(cognate, idp)
    missing = requests.get(f"{h.api}/oauth2/userInfo", timeout=HTTP_TIMEOUT)
    assert missing.status_code == 400, (missing.status_code, missing.text)
    challenge = missing.headers.get("www-authenticate", "")
    assert challenge.startswith("Bearer ") and 'error="invalid_request"' in challenge, challenge
    assert 'error_description="Bad OAuth2 request at UserInfo Endpoint"' in challenge, challenge

    api_tokens = idp.initiate_auth(
        ClientId=h.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": h.username, "PASSWORD": PASSWORD})["AuthenticationResult"]
    for token in (api_tokens["AccessToken"], api_tokens["IdToken"], "not-a-jwt"):
        refused = requests.get(f"{h.api}/oauth2/userInfo", timeout=HTTP_TIMEOUT,
                               headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401, (refused.status_code, refused.text)
        assert 'error="invalid_token"' in refused.headers.get("www-authenticate", "")

    # Without openid: no userInfo either.
    tokens = redeem(h, code_for(h, scope="aws.cognito.signin.user.admin")).json()
    assert "id_token" not in tokens, tokens
    refused = requests.get(f"{h.api}/oauth2/userInfo", timeout=HTTP_TIMEOUT,
                           headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert refused.status_code == 401, (refused.status_code, refused.text)


def test_userinfo_attributes_follow_the_scopes(cognate, idp):
    h = hosted(cognate, idp,
               pool_args={"Schema": [{"Name": "tenant", "AttributeDataType": "String",
                                      "Mutable": True}]},
               extra_attributes=[{"Name": "name", "Value": "Jane Doe"},
                                 {"Name": "custom:tenant", "Value": "acme"}])

    def userinfo(scope: str) -> dict:
        tokens = redeem(h, code_for(h, scope=scope)).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        for method in ("GET", "POST"):
            response = requests.request(method, f"{h.api}/oauth2/userInfo", headers=bearer,
                                        timeout=HTTP_TIMEOUT)
            assert response.status_code == 200, (method, response.status_code, response.text)
            assert response.headers["content-type"].lower().startswith("application/json")
        return response.json()

    everything = userinfo("openid")
    assert everything == {"sub": h.sub, "username": h.username, "email": h.email,
                          "email_verified": "true", "name": "Jane Doe",
                          "custom:tenant": "acme"}, everything
    assert userinfo("openid email") == {"sub": h.sub, "username": h.username,
                                        "email": h.email, "email_verified": "true"}
    profile = userinfo("openid profile")
    assert profile["name"] == "Jane Doe" and profile["custom:tenant"] == "acme", profile
    assert {"sub", "username"} <= set(profile), profile


def test_discovery_document_endpoints_answer(cognate, idp):
    h = hosted(cognate, idp)
    config = requests.get(f"{h.issuer}/.well-known/openid-configuration",
                          timeout=HTTP_TIMEOUT).json()
    assert config["issuer"] == h.issuer

    keys = requests.get(config["jwks_uri"], timeout=HTTP_TIMEOUT)
    assert keys.status_code == 200 and keys.json()["keys"], keys.text

    # The authorization endpoint takes the browser on to the form.
    start = requests.get(config["authorization_endpoint"], params=authorize_params(h),
                         allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert start.status_code == 302 and urlsplit(start.headers["location"]).path == "/login"

    code = code_for(h)
    tokens = requests.post(config["token_endpoint"], timeout=HTTP_TIMEOUT, data={
        "grant_type": "authorization_code", "client_id": h.client_id, "code": code,
        "redirect_uri": h.callback})
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()

    info = requests.get(config["userinfo_endpoint"], timeout=HTTP_TIMEOUT,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == h.sub, info.text

    revoked = requests.post(config["revocation_endpoint"], timeout=HTTP_TIMEOUT,
                            data={"token": tokens["refresh_token"], "client_id": h.client_id})
    assert revoked.status_code == 200, revoked.text

    out = requests.get(config["end_session_endpoint"], allow_redirects=False, timeout=HTTP_TIMEOUT,
                       params={"client_id": h.client_id, "logout_uri": h.logout_uri})
    assert out.status_code == 302 and out.headers["location"] == h.logout_uri, out.headers
