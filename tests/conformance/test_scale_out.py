"""Several cognate instances on one PostgreSQL database, clients spread over them.

Three ``cognate serve`` processes share a fresh database, a sealing key and a public URL (the
load balancer's, so tokens carry one issuer), as docs/deploy.md sets them up. Each test
proves one thing that must hold across instances: uniqueness, codes, SRP steps, lockout,
sign-out, keys, delivery, crashes and dropped connections.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import time
from typing import Any

import pytest
import requests

import pg
from helpers import PASSWORD, error_code, make_app, unique_email, unique_name, wait_until
from test_races import race
from test_srp import SRP_FLOWS, srp_client

PUBLIC_URL = "http://cognate.test"


@pytest.fixture
def cluster(start_cognate: Any, tmp_path: Any) -> Any:
    """Three instances started at once on one fresh database (which also shows that instances
    starting together migrate once and all come up)."""
    url = pg.create_database("cluster")
    key = tmp_path / "secrets.key"
    key.write_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n")
    servers: list[Any] = [None, None, None]
    errors: list[BaseException] = []

    def boot(i: int) -> None:
        try:
            servers[i] = start_cognate(database_url=url, public_url=PUBLIC_URL,
                                       extra_args=["--secrets-key-file", str(key)],
                                       config={"delivery": {"lease": "2s"}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=boot, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert pg.psql("SELECT version FROM cognate_schema", url.rsplit("/", 1)[1]) == str(pg.SCHEMA_VERSION)
    yield Cluster(servers, url, key)
    for server in servers:
        server.close()
    pg.drop_database(url)


class Cluster:
    def __init__(self, servers: list[Any], url: str, key: Any):
        self.servers = servers
        self.url = url
        self.key = key
        self.database = url.rsplit("/", 1)[1]

    def idp(self, i: int) -> Any:
        return self.servers[i % len(self.servers)].idp()

    def sql(self, query: str) -> str:
        return pg.psql(query, self.database)


def app_on(cluster: Cluster, **pool: Any) -> Any:
    return make_app(cluster.idp(0), pool=pool or None,
                    client={"ExplicitAuthFlows": SRP_FLOWS})


def with_idp(app: Any, idp: Any) -> Any:
    """The same pool and client, called through another instance."""
    return type(app)(idp=idp, pool=app.pool, client=app.client)


def outbox_code(cluster: Cluster, to: str, username: str) -> str:
    entries = [e for e in cluster.servers[0].outbox(to=to) if e["username"] == username]
    assert entries, f"no message for {username} at {to}"
    return re.search(r"\b(\d{6})\b", entries[-1]["body"]).group(1)


def test_one_username_signed_up_thirty_times_at_once_across_instances_is_one_user(cluster):
    app = app_on(cluster)
    name = unique_name("dup")
    results = race(lambda i: with_idp(app, cluster.idp(i)).sign_up(name, email=unique_email("dup")),
                   n=30)
    assert results.count("ok") == 1, results
    assert results.count("UsernameExistsException") == 29, results
    assert cluster.sql(f"SELECT count(*) FROM users WHERE pool_id = '{app.pool_id}'") == "1"


def test_one_email_confirmed_by_six_users_across_instances_has_one_owner(cluster):
    app = app_on(cluster, AliasAttributes=["email"])
    email = unique_email("shared")
    names = [unique_name(f"racer{i}") for i in range(6)]
    for i, name in enumerate(names):  # each signs up on another instance than it confirms on
        with_idp(app, cluster.idp(i)).sign_up(name, email=email)
    codes = {name: outbox_code(cluster, email, name) for name in names}
    results = race(lambda i: with_idp(app, cluster.idp(i + 1)).confirm(names[i], codes[names[i]]))
    assert results.count("ok") == 1, results
    assert results.count("AliasExistsException") == 5, results
    owners = cluster.sql(f"SELECT count(*) FROM aliases WHERE pool_id = '{app.pool_id}'")
    assert owners == "1"


def test_a_code_mailed_by_one_instance_is_confirmed_on_another(cluster, smtp_server):
    app = app_on(cluster)
    name, email = unique_name("mail"), unique_email("mail")
    with_idp(app, cluster.idp(0)).sign_up(name, email=email)
    code = smtp_server.wait_for_mail(email).code
    with_idp(app, cluster.idp(2)).confirm(name, code)
    assert with_idp(app, cluster.idp(1)).admin_get_user(name)["UserStatus"] == "CONFIRMED"


def test_srp_steps_on_different_instances(cluster):
    app = app_on(cluster)
    name = unique_name("srp")
    app.sign_up(name, email=unique_email("srp"))
    app.admin_confirm(name)
    for first, second in [(0, 1), (1, 2), (2, 0)]:
        srp = srp_client(with_idp(app, cluster.idp(first)), name, PASSWORD)
        params = srp.get_auth_params()
        challenge = cluster.idp(first).initiate_auth(
            ClientId=app.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
        responses = srp.process_challenge(challenge["ChallengeParameters"], params)
        result = cluster.idp(second).respond_to_auth_challenge(
            ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER",
            Session=challenge["Session"], ChallengeResponses=responses)
        assert "AccessToken" in result["AuthenticationResult"]


def test_failed_passwords_on_every_instance_add_up_to_one_lockout(cluster):
    """Five failures spread over three instances lock the user (no instance saw more than two);
    after that lock a sixth failure locks for 2 s, on every instance, even the right password."""
    app = app_on(cluster)
    name = unique_name("lock")
    app.sign_up(name, email=unique_email("lock"))
    app.admin_confirm(name)

    def wrong(i: int) -> str:
        with pytest.raises(Exception) as failed:
            with_idp(app, cluster.idp(i)).password_auth(name, "Wrong-password-1")
        assert error_code(failed.value) == "NotAuthorizedException"
        return str(failed.value)

    for i in range(5):
        assert "Incorrect username or password" in wrong(i)
    time.sleep(1.6)  # the first lock (1 s) is over
    began = time.monotonic()
    assert "Incorrect username or password" in wrong(5), "the sixth failure is counted"
    for i in (0, 1):
        with pytest.raises(Exception) as locked:
            with_idp(app, cluster.idp(i)).password_auth(name, PASSWORD)
        assert "Password attempts exceeded" in str(locked.value), locked.value
    assert time.monotonic() - began < 1.9, "checked inside the 2 s lock"


def test_sign_out_on_one_instance_revokes_on_all(cluster):
    app = app_on(cluster)
    name = unique_name("out")
    app.sign_up(name, email=unique_email("out"))
    app.admin_confirm(name)
    tokens = with_idp(app, cluster.idp(1)).tokens(name)
    for i in range(3):
        assert cluster.idp(i).get_user(AccessToken=tokens["AccessToken"])["Username"] == name
    cluster.idp(0).global_sign_out(AccessToken=tokens["AccessToken"])
    for i in (1, 2):
        with pytest.raises(cluster.idp(i).exceptions.NotAuthorizedException):
            cluster.idp(i).get_user(AccessToken=tokens["AccessToken"])
        with pytest.raises(cluster.idp(i).exceptions.NotAuthorizedException):
            cluster.idp(i).initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                         AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})


def test_every_instance_serves_the_same_keys_and_accepts_the_others_tokens(cluster):
    app = app_on(cluster)
    name = unique_name("jwks")
    app.sign_up(name, email=unique_email("jwks"))
    app.admin_confirm(name)
    # Each instance signs in first somewhere: whichever makes the keys, all end up with them.
    tokens = [with_idp(app, cluster.idp(i)).tokens(name) for i in range(3)]
    jwks = [requests.get(f"{s.url}/{app.pool_id}/.well-known/jwks.json", timeout=10).json()
            for s in cluster.servers]
    assert jwks[0] == jwks[1] == jwks[2] and len(jwks[0]["keys"]) == 2
    for i in range(3):
        for t in tokens:
            assert cluster.idp(i).get_user(AccessToken=t["AccessToken"])["Username"] == name


def test_a_token_signed_with_keys_an_instance_has_not_seen_makes_it_reload_them(
        cluster, start_cognate):
    """Key rotation as another instance would see it: the pool's keys change in the database
    (here: copied from another pool), a new instance signs with them, and an instance that
    cached the old ones accepts the token after reading the keys again."""
    app = app_on(cluster)
    name = unique_name("kid")
    app.sign_up(name, email=unique_email("kid"))
    app.admin_confirm(name)
    for i in range(3):  # every instance caches the pool's first keys
        with_idp(app, cluster.idp(i)).tokens(name)
    other = app_on(cluster)
    other_name = unique_name("kid2")
    other.sign_up(other_name, email=unique_email("kid2"))
    other.admin_confirm(other_name)
    other.tokens(other_name)  # the other pool gets its keys
    cluster.sql(
        "UPDATE signing_keys k SET kid = o.kid, private_der = o.private_der FROM signing_keys o "
        f"WHERE k.pool_id = '{app.pool_id}' AND o.pool_id = '{other.pool_id}' AND o.token_use = k.token_use")
    fresh = start_cognate(database_url=cluster.url, public_url=PUBLIC_URL,
                          extra_args=["--secrets-key-file", str(cluster.key)])
    rotated = with_idp(app, fresh.idp()).tokens(name)
    for i in range(3):
        assert cluster.idp(i).get_user(AccessToken=rotated["AccessToken"])["Username"] == name
    kids = {k["kid"] for k in requests.get(
        f"{cluster.servers[0].url}/{app.pool_id}/.well-known/jwks.json", timeout=10).json()["keys"]}
    assert kids == {k["kid"] for k in requests.get(
        f"{fresh.url}/{app.pool_id}/.well-known/jwks.json", timeout=10).json()["keys"]}


def test_a_message_whose_instance_died_before_sending_it_is_sent_by_another(
        cluster, start_cognate, smtp_server):
    """An instance whose mail server never answers is killed while it tries to send; another
    instance delivers the message once the first one's lease (2 s here) has run out."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never says a word
    try:
        doomed = start_cognate(database_url=cluster.url, public_url=PUBLIC_URL,
                               smtp_url=f"smtp://127.0.0.1:{silent.getsockname()[1]}",
                               extra_args=["--secrets-key-file", str(cluster.key)],
                               config={"delivery": {"lease": "2s"}})
        app = app_on(cluster)
        name, email = unique_name("lost"), unique_email("lost")
        outcome: list[Any] = []
        caller = threading.Thread(target=lambda: outcome.append(
            _attempt(lambda: with_idp(app, doomed.idp()).sign_up(name, email=email))))
        caller.start()
        # The sign-up is committed before its message is handed to SMTP.
        wait_until(lambda: cluster.sql(
            f"SELECT count(*) FROM outbox WHERE recipient = '{email}' AND status = 'pending'") == "1",
            timeout=10, message="the message to be queued")
        doomed.process.send_signal(signal.SIGKILL)
        caller.join(timeout=30)
        mail = smtp_server.wait_for_mail(email, timeout=15)
        assert re.fullmatch(r"\d{6}", mail.code)
        app.confirm(name, mail.code)
        wait_until(lambda: cluster.sql(
            f"SELECT status FROM outbox WHERE recipient = '{email}'") == "sent", timeout=5,
            message="the delivery to be recorded")
        time.sleep(3)  # a lease later, nobody sends it again
        assert len(smtp_server.messages(email)) == 1
    finally:
        silent.close()


def _attempt(call: Any) -> str:
    try:
        call()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the outcome is what the caller looks at
        return repr(exc)


def test_kill_9_under_concurrent_sign_ups_loses_no_acknowledged_write(cluster):
    app = app_on(cluster)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sign_ups(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            name = f"kill-{worker}-{n}"
            instance = (worker + n) % 3
            try:
                with_idp(app, cluster.idp(instance)).sign_up(name, email=unique_email("kill"))
            except Exception:  # noqa: BLE001 - an instance being killed; not acknowledged
                continue
            with lock:
                acknowledged.append(name)

    workers = [threading.Thread(target=sign_ups, args=(w,)) for w in range(6)]
    for w in workers:
        w.start()
    time.sleep(1.5)
    cluster.servers[1].process.send_signal(signal.SIGKILL)
    time.sleep(1.5)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    assert len(acknowledged) > 20, acknowledged
    names = cluster.sql(f"SELECT username FROM users WHERE pool_id = '{app.pool_id}'").split()
    assert len(names) == len(set(names)), "no user twice"
    missing = set(acknowledged) - set(names)
    assert not missing, f"acknowledged but lost: {sorted(missing)[:10]}"

    # Every instance restarted: everything is still there, on every instance.
    cluster.servers[1].start()
    for server in (cluster.servers[0], cluster.servers[2]):
        server.restart(same_port=False)
    for i in range(3):
        listed = cluster.idp(i).list_users(UserPoolId=app.pool_id, Limit=60)["Users"]
        assert listed, "the users are there"
    for name in acknowledged[:5]:
        assert with_idp(app, cluster.idp(2)).admin_get_user(name)["Username"] == name


def test_connections_the_database_drops_are_replaced(cluster):
    app = app_on(cluster)
    name = unique_name("drop")
    app.sign_up(name, email=unique_email("drop"))
    for i in range(3):
        assert with_idp(app, cluster.idp(i)).admin_get_user(name)
    killed = cluster.sql(
        f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE datname = '{cluster.database}' AND application_name LIKE 'cognate%'")
    assert int(killed) >= 3
    for i in range(6):
        assert with_idp(app, cluster.idp(i)).admin_get_user(name)["Username"] == name


def test_a_lost_database_fails_fast_and_service_resumes(cluster):
    app = app_on(cluster)
    server = cluster.servers[0]
    assert requests.get(f"{server.url}/ready", timeout=5).status_code == 200
    # ALLOW_CONNECTIONS binds superusers too (a connection limit does not).
    pg.psql(f"ALTER DATABASE {cluster.database} ALLOW_CONNECTIONS false")
    try:
        pg.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{cluster.database}'")
        started = time.monotonic()
        ready = requests.get(f"{server.url}/ready", timeout=15)
        assert ready.status_code == 503, ready.text
        with pytest.raises(Exception) as failed:
            app.admin_get_user("anyone")
        assert error_code(failed.value) == "InternalErrorException"
        assert time.monotonic() - started < 12, "requests fail within the timeout, never hang"
        assert requests.get(f"{server.url}/health", timeout=5).status_code == 200
    finally:
        pg.psql(f"ALTER DATABASE {cluster.database} ALLOW_CONNECTIONS true")
    wait_until(lambda: requests.get(f"{server.url}/ready", timeout=15).status_code == 200,
               timeout=15, message="readiness to come back")
    with pytest.raises(app.idp.exceptions.UserNotFoundException):
        app.admin_get_user("anyone")


def test_an_instance_with_another_sealing_key_refuses_to_start(cluster, start_cognate, tmp_path):
    other = tmp_path / "other.key"
    other.write_text("HxwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgEAAAA\n")
    with pytest.raises(AssertionError, match="not the one this database's SRP verifiers"):
        start_cognate(database_url=cluster.url, extra_args=["--secrets-key-file", str(other)])


def test_the_database_password_is_never_shown(cognate):
    """Not in the error of an unreachable database, not in ``--help`` with the URL in the
    environment (the harness's own log would show a URL given as a flag, so this runs the
    binary itself)."""
    pg.require()
    env = {**cognate.env(), "COGNATE_DATABASE_URL": "postgres://postgres:Sup3r-Secret@127.0.0.1:1/nowhere"}
    failed = subprocess.run([str(cognate.binary), "serve", "--listen", "127.0.0.1:0"],
                            capture_output=True, text=True, env=env, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1 and failed.stderr.startswith("error: "), failed.stderr
    assert "postgres://postgres:***@127.0.0.1:1/nowhere" in failed.stderr
    assert "Connection refused" in failed.stderr
    shown = subprocess.run([str(cognate.binary), "serve", "--help"], capture_output=True,
                           text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    for out in (failed.stdout, failed.stderr, shown.stdout, shown.stderr):
        assert "Sup3r-Secret" not in out


# --------------------------------------------------------------------------- schema and CLI


def run(cognate: Any, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cognate.binary), *args], capture_output=True, text=True,
                          env={**cognate.env(), **env}, timeout=60, stdin=subprocess.DEVNULL)


def test_migrate_alone_then_a_newer_schema_is_refused(cognate, start_cognate):
    url = pg.create_database("migrate")
    try:
        migrated = run(cognate, "migrate", "--database-url", url)
        assert migrated.returncode == 0, migrated.stderr
        assert f"is at schema version {pg.SCHEMA_VERSION}" in migrated.stdout
        again = run(cognate, "migrate", "--database-url", url)
        assert again.returncode == 0 and f"version {pg.SCHEMA_VERSION}" in again.stdout, "migrating twice is harmless"
        # A server finds the schema current and starts.
        start_cognate(database_url=url).stop()
        pg.psql("UPDATE cognate_schema SET version = 99", url.rsplit("/", 1)[1])
        with pytest.raises(AssertionError, match="newer than this cognate knows"):
            start_cognate(database_url=url)
        refused = run(cognate, "migrate", "--database-url", url)
        assert refused.returncode == 1 and "newer than this cognate knows" in refused.stderr
    finally:
        pg.drop_database(url)


def test_a_sqlite_data_dir_written_by_a_newer_cognate_is_refused(start_cognate, tmp_path):
    server = start_cognate()
    server.stop()
    db = server.data_dir / "cognate.db"
    subprocess.run(["python3", "-c", f"import sqlite3; c = sqlite3.connect({str(db)!r}); "
                    "c.execute('PRAGMA user_version = 99'); c.commit()"], check=True)
    with pytest.raises(AssertionError, match="newer than this cognate knows"):
        server.start()


def test_sqlite_only_settings_with_a_postgres_url_are_errors(cognate, tmp_path):
    pg.require()
    url = "postgres://postgres@127.0.0.1:5432/never_used"
    in_memory = run(cognate, "serve", "--listen", "127.0.0.1:0", "--in-memory", "--database-url", url)
    assert in_memory.returncode != 0 and "--in-memory" in in_memory.stderr
    config = tmp_path / "c.toml"
    config.write_text('[storage]\nsynchronous = "normal"\n')
    synchronous = run(cognate, "serve", "--listen", "127.0.0.1:0", "--config", str(config),
                      "--database-url", url)
    assert synchronous.returncode == 1
    assert "storage.synchronous is a SQLite setting" in synchronous.stderr
    for command in (["backup", "--to", str(tmp_path / "b.db")], ["restore", "--from", str(tmp_path / "b.db")]):
        refused = run(cognate, *command, COGNATE_DATABASE_URL="postgres://u:pw-123@db/x")
        assert refused.returncode == 1, refused
        assert "pg_dump" in refused.stderr or "pg_restore" in refused.stderr
        assert "pw-123" not in refused.stderr and "postgres://u:***@db/x" in refused.stderr


def test_tls_to_the_database(start_cognate):
    """``sslmode=require`` encrypts; ``verify-full`` checks the certificate against
    ``sslrootcert`` and the host name (Debian's PostgreSQL serves its snakeoil certificate,
    made out to localhost)."""
    pg.require()
    cert = "/etc/ssl/certs/ssl-cert-snakeoil.pem"
    if pg.psql("SHOW ssl") != "on" or pg.psql("SHOW ssl_cert_file") != cert:
        pytest.skip("this PostgreSQL server does not offer TLS with Debian's snakeoil certificate")
    url = pg.create_database("tls")
    name = url.rsplit("/", 1)[1]
    try:
        server = start_cognate(database_url=f"{url}?sslmode=require")
        make_app(server.idp())
        encrypted = pg.psql("SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                            f"WHERE a.datname = '{name}' AND a.application_name LIKE 'cognate%'")
        assert encrypted == "t"
        server.stop()
        verified = url.replace("127.0.0.1", "localhost") + f"?sslmode=verify-full&sslrootcert={cert}"
        start_cognate(database_url=verified, data_dir=server.data_dir).stop()
        with pytest.raises(AssertionError, match='certificate not valid for name "127.0.0.1"'):
            start_cognate(database_url=f"{url}?sslmode=verify-full&sslrootcert={cert}",
                          data_dir=server.data_dir)
    finally:
        pg.drop_database(url)
