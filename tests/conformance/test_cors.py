"""Cross-origin access: browser apps call the JSON API and the OAuth endpoints from their own
origin (Amplify, amazon-cognito-identity-js, OIDC clients in the page); the hosted pages are
navigated to and give no CORS grant."""

from __future__ import annotations

import http.server
import threading
from typing import Iterator

import pytest
import requests

from helpers import make_client, make_pool

PAGE = b"""<!DOCTYPE html><html lang="en"><head><title>app</title></head><body><main>app</main></body></html>"""


@pytest.fixture
def app_origin() -> Iterator[str]:
    """A page of another origin (http://localhost:<port>) for the browser to run fetch from."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_preflight_and_answers_of_the_api_grant_any_origin(cognate):
    preflight = requests.options(cognate.url + "/", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent"}, timeout=10)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-amz-target" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answer = requests.post(cognate.url + "/", headers={
        "Origin": "http://localhost:3000", "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"}, data="{}", timeout=10)
    assert answer.status_code == 400
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-amzn-errortype" in answer.headers["Access-Control-Expose-Headers"]
    token = requests.options(cognate.url + "/oauth2/token", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}, timeout=10)
    assert token.headers["Access-Control-Allow-Origin"] == "*"


def test_the_hosted_pages_give_no_cross_origin_grant(cognate):
    page = requests.get(cognate.url + "/login?client_id=nope", headers={"Origin": "http://evil.example"},
                        allow_redirects=False, timeout=10)
    assert "Access-Control-Allow-Origin" not in page.headers
    plain = requests.post(cognate.url + "/", data="{}", timeout=10,
                          headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
                                   "Content-Type": "application/x-amz-json-1.1"})
    assert "Access-Control-Allow-Origin" not in plain.headers, "only requests with an Origin get the grant"


def test_a_page_of_another_origin_signs_in_with_fetch(cognate, idp, page, app_origin):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"])
    idp.admin_create_user(UserPoolId=pool["Id"], Username="carol", MessageAction="SUPPRESS",
                          TemporaryPassword="Temp-Passw0rd!")
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username="carol", Password="Passw0rd!x",
                                Permanent=True)
    page.goto(app_origin)
    api = cognate.url.replace("127.0.0.1", "localhost") + "/"
    result = page.evaluate(
        """async ([api, clientId]) => {
            const r = await fetch(api, {method: 'POST', headers: {
                'Content-Type': 'application/x-amz-json-1.1',
                'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth',
                'X-Amz-User-Agent': 'aws-amplify/6 auth'},
              body: JSON.stringify({AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId,
                                    AuthParameters: {USERNAME: 'carol', PASSWORD: 'Passw0rd!x'}})});
            return {status: r.status, body: await r.json(), id: r.headers.get('x-amzn-requestid')};
        }""", [api, client["ClientId"]])
    assert result["status"] == 200, result
    assert result["body"]["AuthenticationResult"]["TokenType"] == "Bearer"
    assert result["id"], "the request id header is readable across origins"
