"""Nothing acknowledged is lost: clients sign up, confirm and sign in concurrently while the
server is killed with SIGKILL at random moments, round after round. After every restart each
acknowledged sign-up exists, each acknowledged confirmation is CONFIRMED, no user is
half-created or duplicated, and the database passes SQLite's integrity checks."""

from __future__ import annotations

import random
import sqlite3
import threading
import time

import pytest

from helpers import PASSWORD, make_app

ROUNDS = 30
WORKERS = 4
FAST = "[passwords]\npreset = \"fast-insecure\"\n"  # hashing is not what is under test


def worker(app, prefix: str, stop: threading.Event, acked: dict, lock: threading.Lock) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        name = f"{prefix}-{n}"
        try:
            app.idp.sign_up(ClientId=app.client_id, Username=name, Password=PASSWORD,
                            UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}])
            with lock:
                acked[name] = "UNCONFIRMED"
            app.idp.admin_confirm_sign_up(UserPoolId=app.pool_id, Username=name)
            with lock:
                acked[name] = "CONFIRMED"
            app.idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD})
        except Exception:  # noqa: BLE001 - the server died under the request: not acknowledged
            return


def integrity(db) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        dup = conn.execute("SELECT pool_id, username_key, COUNT(*) FROM users "
                           "GROUP BY 1, 2 HAVING COUNT(*) > 1").fetchall()
        assert dup == [], f"duplicate usernames: {dup}"
    finally:
        conn.close()


def all_users(app) -> dict[str, dict]:
    users, token = {}, None
    while True:
        page = app.idp.list_users(UserPoolId=app.pool_id, **({"PaginationToken": token} if token else {}))
        for u in page["Users"]:
            users[u["Username"]] = u
        token = page.get("PaginationToken")
        if not token:
            return users


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(start_cognate):
    server = start_cognate(smtp=False, config=FAST)
    app = make_app(server.idp(), pool={"AutoVerifiedAttributes": None},
                   client={"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})
    acked: dict[str, str] = {}
    lock = threading.Lock()
    rng = random.Random(5)
    for round_ in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=worker, args=(app, f"r{round_}w{w}", stop, acked, lock))
                   for w in range(WORKERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 0.4))
        server.process.kill()  # SIGKILL: no shutdown, no checkpoint
        server.process.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        integrity(server.data_dir / "cognate.db")
        server.start()
        app.idp = server.idp()
        users = all_users(app)
        with lock:
            expected = dict(acked)
        for name, status in expected.items():
            assert name in users, f"round {round_}: acknowledged sign-up of {name} was lost"
            if status == "CONFIRMED":
                assert users[name]["UserStatus"] == "CONFIRMED", f"round {round_}: {name} lost its confirmation"
        for name, u in users.items():
            attrs = {a["Name"]: a["Value"] for a in u["Attributes"]}
            assert attrs.get("email") == f"{name}@example.com" and "sub" in attrs, f"half-created {name}"
            assert u["UserStatus"] in ("UNCONFIRMED", "CONFIRMED")
    assert len(acked) > ROUNDS, "the rounds wrote too little to prove anything"
    print(f"\ncrash test: {ROUNDS} SIGKILL rounds, {len(acked)} acknowledged sign-ups, none lost")
