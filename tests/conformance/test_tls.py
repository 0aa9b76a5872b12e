"""HTTPS: ``cognate serve --tls-dev`` (a local CA kept in ``<data-dir>/tls``) and
``--tls-cert FILE --tls-key FILE``, next to the plain HTTP listener.

With HTTPS on, stdout has a second line ``cognate <version> listening on https://HOST:PORT``
and, without ``--public-url``, token issuers are ``https://localhost:<https port>/<poolId>``.
Every client here trusts exactly the CA it is given (``verify=ca.pem``, NODE_EXTRA_CA_CERTS);
each is also shown to fail without it, so the checks cannot pass by accident.

The hosted-login test drives chromium (browser.py) at ``https://<prefix>.auth.localhost:PORT``
(chromium resolves ``*.localhost`` to loopback). Chromium cannot be told to trust our CA per
context, so that context ignores certificate errors; the certificate itself is checked for the
same host name with urllib3 (SNI ``<prefix>.auth.localhost`` against the dev CA).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import botocore.exceptions
import jwt
import pytest
import requests
import urllib3
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from harness import ACCESS_KEY, CLI_TIMEOUT, SECRET_KEY, CognateServer, cognate_binary, free_port
from helpers import PASSWORD, REGION, App, make_app, make_client, make_pool, tag, unique_email, unique_name

HTTP_TIMEOUT = 30
NODE_DIR = Path(__file__).resolve().parent / "node"
VERIFY_SCRIPT = NODE_DIR / "verify_jwt.js"
NODE_TIMEOUT = 60.0
HTTPS_LINE_RE = re.compile(r"^cognate \S+ listening on https://127\.0\.0\.1:(\d+)$")
DEV_NAMES = {"localhost", "*.auth.localhost"}
DEV_IPS = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}


# =========================================================================== helpers


def https_port(server: CognateServer, since: int = 0, timeout: float = 5.0) -> int:
    """The port of the ``listening on https://`` line among stdout lines ``since`` onwards."""
    deadline = time.monotonic() + timeout
    while True:
        lines = list(server.stdout_lines[since:])
        https = [line for line in lines if "listening on https://" in line]
        if https:
            assert len(https) == 1, lines
            match = HTTPS_LINE_RE.match(https[0])
            assert match, f"unexpected https line {https[0]!r}"
            return int(match.group(1))
        if time.monotonic() >= deadline:
            raise AssertionError(f"no 'listening on https://' line within {timeout}s; "
                                 f"start line {server.start_line!r}, then {lines!r}\n"
                                 f"{server.log_tail()}")
        time.sleep(0.02)


def ca_file(server: CognateServer) -> Path:
    return server.data_dir / "tls" / "ca.pem"


def served_certificate(port: int) -> x509.Certificate:
    """The leaf the server presents on 127.0.0.1:port (not verified)."""
    return x509.load_pem_x509_certificate(
        ssl.get_server_certificate(("127.0.0.1", port), timeout=10).encode())


def san(cert: x509.Certificate) -> tuple[set[str], set[Any]]:
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(names.get_values_for_type(x509.DNSName)), set(names.get_values_for_type(x509.IPAddress))


def https_idp(base: str, ca: Path | bool) -> Any:
    """boto3 cognito-idp on ``base`` trusting ``ca`` (True: botocore's own bundle)."""
    return boto3.client(
        "cognito-idp", endpoint_url=base, region_name=REGION, verify=str(ca) if ca is not True else True,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"},
                      connect_timeout=5, read_timeout=30),
    )


def signed_in(idp: Any) -> tuple[Any, dict]:
    """A pool, a client, a user signed up and admin-confirmed, and its USER_PASSWORD_AUTH tokens."""
    app = make_app(idp)
    username = unique_name("tls")
    app.sign_up(username, email=unique_email("tls"))
    app.admin_confirm(username)
    return app, app.tokens(username)


def strict_context(ca: Path) -> ssl.SSLContext:
    """What Python 3.13's ``ssl.create_default_context`` (and urllib3 on 3.13) verify with:
    VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN on top of the usual checks."""
    context = ssl.create_default_context(cafile=str(ca))
    context.verify_flags |= ssl.VERIFY_X509_STRICT | getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    return context


def handshake(port: int, context: ssl.SSLContext, server_hostname: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=server_hostname):
            pass


# =========================================================================== 1. --tls-dev


def test_tls_dev_serves_https_signed_by_a_ca_kept_in_the_data_dir(start_cognate):
    server = start_cognate(extra_args=["--tls-dev"])
    port = https_port(server)
    assert port not in (0, server.port)
    ca = ca_file(server)
    key = ca.with_name("ca-key.pem")
    assert ca.is_file() and key.is_file(), sorted(p.name for p in ca.parent.iterdir())
    assert stat.S_IMODE(key.stat().st_mode) == 0o600, oct(key.stat().st_mode)

    health = requests.get(f"https://localhost:{port}/health", verify=str(ca), timeout=HTTP_TIMEOUT)
    assert health.status_code == 200, health.text
    by_ip = requests.get(f"https://127.0.0.1:{port}/health", verify=str(ca), timeout=HTTP_TIMEOUT)
    assert by_ip.status_code == 200
    # Not trusted by the usual bundle: only the dev CA makes it verify.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://localhost:{port}/health", verify=True, timeout=HTTP_TIMEOUT)
    # The HTTP listener keeps working alongside.
    assert requests.get(f"{server.url}/health", timeout=HTTP_TIMEOUT).status_code == 200

    # The leaf: the dev names, signed by the CA on disk.
    leaf = served_certificate(port)
    ca_cert = x509.load_pem_x509_certificate(ca.read_bytes())
    assert san(leaf) == (DEV_NAMES, DEV_IPS)
    assert leaf.issuer == ca_cert.subject
    leaf.verify_directly_issued_by(ca_cert)
    ca_constraints = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert ca_constraints.ca is True

    # The start-up log says where the CA is and how to trust it.
    log = server.wait_for_log("NODE_EXTRA_CA_CERTS=")
    resolved = str(ca.resolve())
    for needle in (f"NODE_EXTRA_CA_CERTS={resolved}", f"REQUESTS_CA_BUNDLE={resolved}",
                   f"AWS_CA_BUNDLE={resolved}", "update-ca-certificates"):
        assert needle in log, f"{needle!r} not in the log\n{server.log_tail()}"
    assert log.count("created a local certificate authority") == 1, server.log_tail()

    # A restart keeps the CA (byte for byte) and serves a fresh leaf signed by it.
    ca_bytes, key_bytes = ca.read_bytes(), key.read_bytes()
    server.stop()
    since = len(server.stdout_lines)
    server.start()
    port_again = https_port(server, since)
    assert ca.read_bytes() == ca_bytes
    assert key.read_bytes() == key_bytes
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert requests.get(f"https://localhost:{port_again}/health", verify=str(ca),
                        timeout=HTTP_TIMEOUT).status_code == 200
    new_leaf = served_certificate(port_again)
    assert new_leaf.fingerprint(hashes.SHA256()) != leaf.fingerprint(hashes.SHA256())
    assert new_leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    new_leaf.verify_directly_issued_by(ca_cert)
    log = server.log
    assert log.count("created a local certificate authority") == 1, server.log_tail()
    assert log.count(f"NODE_EXTRA_CA_CERTS={resolved}") >= 2, server.log_tail()


def test_tls_dev_certificate_passes_strict_x509_verification(start_cognate):
    """Python 3.13's default SSL context (and urllib3's there) sets VERIFY_X509_STRICT, which
    among other RFC 5280 rules wants an Authority Key Identifier in every certificate a CA
    issued. A dev certificate those clients reject would be no use to them."""
    server = start_cognate(extra_args=["--tls-dev"])
    port = https_port(server)
    handshake(port, strict_context(ca_file(server)), "localhost")


def test_tls_listen_defaults_to_port_9230_next_to_a_fixed_http_port(tmp_path):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", 9230))
        except OSError:
            pytest.skip("127.0.0.1:9230 is in use here")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = CognateServer(cognate_binary(), data_dir, tmp_path / "cognate.stderr.log", ["--tls-dev"])
    try:
        server.start(listen=f"127.0.0.1:{free_port()}")
        assert https_port(server) == 9230
        assert requests.get("https://localhost:9230/health", verify=str(ca_file(server)),
                            timeout=HTTP_TIMEOUT).status_code == 200
    finally:
        server.close()


# =========================================================================== 2. boto3 over https


def test_boto3_over_https_and_the_issuer_is_the_https_url(start_cognate):
    server = start_cognate(extra_args=["--tls-dev"])
    port = https_port(server)
    ca = ca_file(server)
    base = f"https://localhost:{port}"

    with pytest.raises(botocore.exceptions.SSLError):
        https_idp(base, True).list_user_pools(MaxResults=1)

    app, tokens = signed_in(https_idp(base, ca))
    issuer = f"{base}/{app.pool_id}"
    for name in ("IdToken", "AccessToken"):
        assert jwt.decode(tokens[name], options={"verify_signature": False})["iss"] == issuer

    discovery = requests.get(f"{issuer}/.well-known/openid-configuration", verify=str(ca),
                             timeout=HTTP_TIMEOUT)
    assert discovery.status_code == 200, discovery.text
    document = discovery.json()
    assert document["issuer"] == issuer
    assert document["jwks_uri"].startswith("https://"), document["jwks_uri"]

    # The tokens verify against the JWKS named there, fetched over https.
    jwks = requests.get(document["jwks_uri"], verify=str(ca), timeout=HTTP_TIMEOUT).json()
    keys = {key["kid"]: key for key in jwks["keys"]}
    id_claims = jwt.decode(tokens["IdToken"],
                           jwt.PyJWK(keys[jwt.get_unverified_header(tokens["IdToken"])["kid"]]),
                           algorithms=["RS256"], audience=app.client_id, issuer=issuer)
    assert id_claims["token_use"] == "id"

    # Tokens issued through the HTTP listener carry the same https issuer.
    plain = App(idp=server.idp(), pool=app.pool, client=app.client)
    username = unique_name("plain")
    plain.sign_up(username, email=unique_email("plain"))
    plain.admin_confirm(username)
    over_http = plain.tokens(username)
    assert jwt.decode(over_http["IdToken"], options={"verify_signature": False})["iss"] == issuer


# =========================================================================== 3. aws-jwt-verify


@pytest.fixture(scope="module")
def node() -> str:
    def missing(reason: str) -> None:
        if os.environ.get("COGNATE_REQUIRE_NODE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)

    executable = shutil.which("node")
    if executable is None:
        missing("node is not installed (scripts/test.sh installs the JS clients when it is)")
    if not (NODE_DIR / "node_modules" / "aws-jwt-verify").is_dir():
        missing(f"aws-jwt-verify is not installed: run `npm ci` in {NODE_DIR}")
    return executable


def js_verify(node: str, request: dict, extra_ca: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED", "NODE_OPTIONS")}
    if extra_ca is not None:
        env["NODE_EXTRA_CA_CERTS"] = str(extra_ca)
    proc = subprocess.run([node, str(VERIFY_SCRIPT)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=NODE_TIMEOUT, cwd=NODE_DIR, env=env)
    assert proc.returncode == 0, f"node exited {proc.returncode}\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {proc.stdout!r}\n{proc.stderr}"
    return json.loads(lines[0])


def test_aws_jwt_verify_fetches_the_jwks_over_https_with_the_dev_ca(node, start_cognate):
    server = start_cognate(extra_args=["--tls-dev"])
    port = https_port(server)
    ca = ca_file(server)
    app, tokens = signed_in(https_idp(f"https://localhost:{port}", ca))
    issuer = f"https://localhost:{port}/{app.pool_id}"
    request = {"issuer": issuer, "clientId": app.client_id,
               "idToken": tokens["IdToken"], "accessToken": tokens["AccessToken"]}

    trusted = js_verify(node, request, ca)
    assert trusted["id"]["ok"], trusted["id"]
    assert trusted["access"]["ok"], trusted["access"]
    assert trusted["id"]["claims"]["iss"] == issuer
    assert trusted["id"]["claims"]["aud"] == app.client_id
    assert trusted["access"]["claims"]["client_id"] == app.client_id

    # Without the CA, Node refuses the certificate: nothing verifies.
    untrusted = js_verify(node, request, None)
    for use in ("id", "access"):
        assert not untrusted[use]["ok"], untrusted[use]
        assert "certificate" in untrusted[use]["error"], untrusted[use]

    # And the verifier does check: another client's ID token is refused.
    other = make_client(app.idp, app.pool_id)
    wrong = js_verify(node, {**request, "clientId": other["ClientId"]}, ca)
    assert not wrong["id"]["ok"] and not wrong["access"]["ok"], wrong


# =========================================================================== 4. hosted login


def test_hosted_login_over_https_on_the_pool_domain(start_cognate, browser):
    server = start_cognate(extra_args=["--tls-dev"])
    port = https_port(server)
    ca = ca_file(server)
    idp = https_idp(f"https://localhost:{port}", ca)
    pool_id = make_pool(idp)["Id"]
    prefix = f"tls-{tag()}"
    idp.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    host = f"{prefix}.auth.localhost"
    callback = f"https://localhost:{port}/health"
    client = make_client(idp, pool_id, AllowedOAuthFlowsUserPoolClient=True,
                         AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"],
                         CallbackURLs=[callback], SupportedIdentityProviders=["COGNITO"])
    username = unique_name("hosted")
    idp.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
                          TemporaryPassword=PASSWORD,
                          UserAttributes=[{"Name": "email", "Value": unique_email("hosted")},
                                          {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD,
                                Permanent=True)
    query = urlencode({"response_type": "code", "client_id": client["ClientId"],
                       "redirect_uri": callback, "scope": "openid email", "state": "st-1"})
    path = f"/oauth2/authorize?{query}"

    # The certificate is valid for the pool domain's name (SNI), with the dev CA only.
    pool = urllib3.HTTPSConnectionPool("127.0.0.1", port, server_hostname=host, assert_hostname=host,
                                       cert_reqs="CERT_REQUIRED", ca_certs=str(ca), retries=False)
    first = pool.request("GET", path, headers={"Host": f"{host}:{port}"}, redirect=False)
    assert first.status in (302, 303), (first.status, first.data[:300])
    wrong_name = urllib3.HTTPSConnectionPool("127.0.0.1", port, server_hostname="auth.example.com",
                                             assert_hostname="auth.example.com",
                                             cert_reqs="CERT_REQUIRED", ca_certs=str(ca), retries=False)
    with pytest.raises(urllib3.exceptions.SSLError):
        wrong_name.request("GET", "/health")

    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"https://{host}:{port}{path}")
        page.wait_for_url(re.compile(r"^[^?#]*/login\?"))
        assert urlsplit(page.url).scheme == "https", page.url
        assert urlsplit(page.url).netloc == f"{host}:{port}", page.url
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["XSRF-TOKEN"]["secure"] is True, cookies

        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile("^" + re.escape(callback) + r"\?"))
        params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
        assert params["state"] == "st-1" and params["code"], page.url
        cookies = {c["name"]: c for c in context.cookies()}
        session = cookies["cognito"]
        assert session["secure"] is True and session["httpOnly"] is True, session
        assert session["domain"] == host, session
    finally:
        context.close()

    token = requests.post(f"https://localhost:{port}/oauth2/token", verify=str(ca), timeout=HTTP_TIMEOUT,
                          data={"grant_type": "authorization_code", "code": params["code"],
                                "client_id": client["ClientId"], "redirect_uri": callback})
    assert token.status_code == 200, token.text
    claims = jwt.decode(token.json()["id_token"], options={"verify_signature": False})
    assert claims["iss"] == f"https://localhost:{port}/{pool_id}"
    assert claims["cognito:username"] == username


# =========================================================================== 5. --tls-cert/--tls-key


def write_pair(directory: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` and 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_cert_and_key_files_are_served(start_cognate, tmp_path):
    cert, key = write_pair(tmp_path)
    wanted = free_port()
    server = start_cognate(extra_args=["--tls-cert", str(cert), "--tls-key", str(key),
                                       "--tls-listen", f"127.0.0.1:{wanted}"])
    port = https_port(server)
    assert port == wanted
    base = f"https://localhost:{port}"
    assert requests.get(f"{base}/health", verify=str(cert), timeout=HTTP_TIMEOUT).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{base}/health", verify=True, timeout=HTTP_TIMEOUT)
    served = served_certificate(port)
    assert served == x509.load_pem_x509_certificate(cert.read_bytes())
    assert not (server.data_dir / "tls").exists(), "no dev CA without --tls-dev"

    pool_id = make_pool(https_idp(base, cert))["Id"]
    document = requests.get(f"{base}/{pool_id}/.well-known/openid-configuration", verify=str(cert),
                            timeout=HTTP_TIMEOUT).json()
    assert document["issuer"] == f"{base}/{pool_id}"
    assert requests.get(f"{server.url}/health", timeout=HTTP_TIMEOUT).status_code == 200


def start_failing(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cognate_binary()), "serve", "--listen", "127.0.0.1:0",
                           "--data-dir", str(cwd / "data"), *args],
                          capture_output=True, text=True, timeout=CLI_TIMEOUT,
                          env=CognateServer.env(), cwd=cwd, stdin=subprocess.DEVNULL)


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert proc.stdout == "", proc.stdout  # no start line: nothing was served
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert len(proc.stderr.splitlines()) <= 3, proc.stderr
    assert "backtrace" not in proc.stderr.lower(), proc.stderr
    return errors[0]


@pytest.mark.parametrize("case", ["missing-key", "missing-cert", "garbage-cert", "garbage-key",
                                  "key-of-another-cert"])
def test_bad_tls_files_fail_start_up_with_one_line(tmp_path, case):
    cert, key = write_pair(tmp_path)
    _, other_key = write_pair(tmp_path, "other.localhost")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not a PEM file\n")
    missing = tmp_path / "nowhere.pem"
    cert_arg, key_arg, needles = {
        "missing-key": (cert, missing, [str(missing)]),
        "missing-cert": (missing, key, [str(missing)]),
        "garbage-cert": (garbage, key, ["TLS", "certificate"]),
        "garbage-key": (cert, garbage, ["TLS", "key"]),
        "key-of-another-cert": (cert, other_key, ["TLS"]),
    }[case]
    proc = start_failing("--tls-cert", str(cert_arg), "--tls-key", str(key_arg), cwd=tmp_path)
    error = one_error_line(proc)
    for needle in needles:
        assert needle in error, error


# =========================================================================== 6. command line


@pytest.mark.parametrize("args,needle", [
    pytest.param(["--tls-cert", "cert.pem"], "--tls-key", id="cert-without-key"),
    pytest.param(["--tls-key", "key.pem"], "--tls-cert", id="key-without-cert"),
    pytest.param(["--tls-dev", "--tls-cert", "cert.pem", "--tls-key", "key.pem"], "--tls-dev",
                 id="dev-and-files"),
])
def test_incomplete_or_conflicting_tls_flags_are_refused(tmp_path, args, needle):
    proc = start_failing(*args, cwd=tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)  # clap's usage error
    assert proc.stdout == ""
    assert needle in proc.stderr, proc.stderr
    assert "Usage:" in proc.stderr, proc.stderr
    assert not (tmp_path / "data").exists(), "nothing may start on a refused command line"


def test_tls_cert_without_tls_key_in_the_config_file_is_refused(tmp_path):
    cert, _ = write_pair(tmp_path)
    (tmp_path / "cognate.toml").write_text(f"tls_cert = {json.dumps(str(cert))}\n")
    proc = start_failing("--config", "cognate.toml", cwd=tmp_path)
    error = one_error_line(proc)
    assert "tls_cert" in error and "tls_key" in error, error
