"""``cognate outbox``: every delivered message is recorded and can be read back."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from harness import free_port
from helpers import extract_code, make_app, sign_up_user, unique_email, unique_name, wait_until

OUTBOX_KEYS = {"id", "pool_id", "username", "recipient", "medium", "kind", "subject", "body",
               "created_at", "status", "code"}


def test_empty_outbox_is_an_empty_json_array(cognate):
    assert cognate.outbox() == []


def test_outbox_entries_have_the_documented_shape(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    entry = cognate.latest_message(user.email)
    assert OUTBOX_KEYS <= set(entry), set(entry)
    assert isinstance(entry["id"], int)
    assert entry["pool_id"] == app.pool_id
    assert entry["username"] == user.username
    assert entry["recipient"] == user.email
    assert entry["medium"] == "EMAIL"
    assert entry["kind"] == "SignUp"
    assert entry["subject"] is None or isinstance(entry["subject"], str)
    assert re.search(r"\b\d{6}\b", entry["body"]), entry["body"]
    assert isinstance(entry["created_at"], int) and abs(entry["created_at"] - time.time()) < 300
    assert isinstance(entry["status"], str) and entry["status"]


def test_default_message_body_is_cognitos(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    entry = cognate.latest_message(user.email)
    code = extract_code(entry["body"])
    assert entry["body"].strip() == f"Your verification code is {code}."


def test_outbox_filters_by_pool_recipient_and_last(cognate, idp):
    app_a, app_b = make_app(idp), make_app(idp)
    a1 = sign_up_user(app_a)
    a2 = sign_up_user(app_a)
    b1 = sign_up_user(app_b)
    wait_until(lambda: len(cognate.outbox()) >= 3, message="three outbox entries")

    everything = cognate.outbox()
    assert [e["recipient"] for e in everything] == [a1.email, a2.email, b1.email]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids) and len(set(ids)) == 3, "oldest first, unique ids"
    created = [e["created_at"] for e in everything]
    assert created == sorted(created)

    in_a = cognate.outbox(pool=app_a.pool_id)
    assert [e["recipient"] for e in in_a] == [a1.email, a2.email]
    assert all(e["pool_id"] == app_a.pool_id for e in in_a)
    assert [e["recipient"] for e in cognate.outbox(pool=app_b.pool_id)] == [b1.email]

    to_a2 = cognate.outbox(to=a2.email)
    assert len(to_a2) == 1 and to_a2[0]["username"] == a2.username

    assert [e["recipient"] for e in cognate.outbox(last=1)] == [b1.email]
    assert [e["recipient"] for e in cognate.outbox(last=2)] == [a2.email, b1.email]
    assert [e["recipient"] for e in cognate.outbox(last=10)] == [a1.email, a2.email, b1.email]
    assert [e["recipient"] for e in cognate.outbox(pool=app_a.pool_id, last=1)] == [a2.email]
    assert cognate.outbox(pool="us-east-1_NoSuchPol") == []
    assert cognate.outbox(to="nobody@example.com") == []


def test_outbox_records_resends_as_resend_code(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    first = cognate.latest_message(user.email)
    app.resend(user.username)
    second = cognate.latest_message(user.email, after_id=first["id"])
    assert (first["kind"], second["kind"]) == ("SignUp", "ResendCode")
    assert second["pool_id"] == app.pool_id
    assert second["username"] == user.username


def test_outbox_without_json_is_human_readable(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    code = cognate.latest_code(user.email)
    proc = cognate.run_cli("outbox", *cognate.store_args())
    out = proc.stdout
    assert user.email in out
    assert code in out
    assert app.pool_id in out
    stripped = out.strip()
    assert not (stripped.startswith("[") or stripped.startswith("{")), out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_outbox_reads_a_stopped_servers_data_dir(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    code = cognate.latest_code(user.email)
    cognate.stop()
    entries = cognate.outbox(to=user.email)
    assert len(entries) == 1
    assert code in entries[0]["body"]


def test_without_smtp_the_code_is_in_the_outbox_and_the_log(start_cognate, smtp_server):
    server = start_cognate(smtp=False)
    idp = server.idp()
    app = make_app(idp)
    username, email = unique_name(), unique_email()
    response = app.sign_up(username, email=email)
    assert response["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    entry = server.latest_message(email)
    code = extract_code(entry["body"])
    assert entry["kind"] == "SignUp"
    assert entry["username"] == username
    server.wait_for_log(code)
    assert email in server.log
    smtp_server.assert_no_mail(email, wait=0.2)
    app.confirm(username, code)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_failed_smtp_delivery_is_code_delivery_failure_and_creates_no_user(start_cognate):
    dead_port = free_port()  # nothing listens here
    server = start_cognate(smtp_url=f"smtp://127.0.0.1:{dead_port}")
    idp = server.idp()
    app = make_app(idp)
    username = unique_name()
    started = time.monotonic()
    with pytest.raises(idp.exceptions.CodeDeliveryFailureException):
        app.sign_up(username, email=unique_email())
    assert time.monotonic() - started < 30, "delivery retries must be bounded"
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.admin_get_user(username)


def test_with_admin_keys_the_outbox_keeps_no_codes(start_cognate, smtp_server, tmp_path):
    """Production (admin keys configured): mail still carries the code, but neither the
    outbox, nor the database files, nor the log hold it; the outbox says who got what."""
    import boto3
    from botocore.config import Config

    key, secret = "AKIACOGNATEOUTBOX001", "cognate-outbox-secret-0123456789"
    creds = tmp_path / "keys.toml"
    creds.write_text(f'[[credentials]]\naccess_key_id = "{key}"\nsecret_access_key = "{secret}"\n')
    server = start_cognate(extra_args=["--admin-credentials-file", str(creds)])
    idp = boto3.client("cognito-idp", endpoint_url=server.url, region_name="us-east-1",
                       aws_access_key_id=key, aws_secret_access_key=secret,
                       config=Config(retries={"total_max_attempts": 1}))
    marker = "cognate-outbox-marker"
    pool = idp.create_user_pool(PoolName=unique_name("pool"), AutoVerifiedAttributes=["email"],
                                EmailVerificationMessage=f"{marker} {{####}}",
                                EmailVerificationSubject=f"{marker} subject")["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
    email = unique_email()
    idp.sign_up(ClientId=client["ClientId"], Username=unique_name(), Password="Corr3ct-Horse!",
                UserAttributes=[{"Name": "email", "Value": email}])
    mail = smtp_server.wait_for_mail(email)
    code = mail.code
    assert marker in mail.body

    entry = wait_until(lambda: next(iter(server.outbox(to=email)), None))
    assert (entry["recipient"], entry["kind"], entry["status"]) == (email, "SignUp", "sent")
    assert entry["body"] is None and entry["subject"] is None and entry["code"] is None, entry
    refused = server.run_cli("outbox", *server.store_args(), "--to", email,
                             "--code", check=False)
    assert refused.returncode == 1 and "text not kept" in refused.stderr, refused
    assert refused.stdout == ""
    text = server.run_cli("outbox", *server.store_args()).stdout
    assert email in text and "text not kept" in text and code not in text
    stored = stored_bytes(server)
    # The template is in the pool's settings; the message rendered from it must not be.
    assert marker.encode() in stored
    assert f"{marker} {code}".encode() not in stored, "the rendered message reached the database"
    assert f"{marker} {code}" not in server.log, "the message reached the log"


def stored_bytes(server) -> bytes:
    """Everything the server's database holds: its SQLite files, or a dump of PostgreSQL."""
    if server.database_url is None:
        return b"".join(p.read_bytes() for p in server.data_dir.glob("cognate.db*"))
    return subprocess.run(["pg_dump", "--data-only", server.database_url], capture_output=True,
                          check=True, timeout=60).stdout


def test_with_admin_keys_and_no_mail_server_codes_go_nowhere(start_cognate, tmp_path):
    """No channel in production: the message is lost, the log says so, and neither the log
    nor the outbox holds its text (local development's fallback is off)."""
    import boto3
    from botocore.config import Config

    key, secret = "AKIACOGNATEOUTBOX002", "cognate-outbox-secret-9876543210"
    creds = tmp_path / "keys.toml"
    creds.write_text(f'[[credentials]]\naccess_key_id = "{key}"\nsecret_access_key = "{secret}"\n')
    server = start_cognate(smtp=False, extra_args=["--admin-credentials-file", str(creds)])
    assert "emails (codes, temporary passwords) cannot be delivered" in server.wait_for_log("no --smtp-url")
    idp = boto3.client("cognito-idp", endpoint_url=server.url, region_name="us-east-1",
                       aws_access_key_id=key, aws_secret_access_key=secret,
                       config=Config(retries={"total_max_attempts": 1}))
    marker = "cognate-lost-marker"
    pool = idp.create_user_pool(PoolName=unique_name("pool"), AutoVerifiedAttributes=["email"],
                                EmailVerificationMessage=f"{marker} {{####}}")["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
    email = unique_email()
    idp.sign_up(ClientId=client["ClientId"], Username=unique_name(), Password="Corr3ct-Horse!",
                UserAttributes=[{"Name": "email", "Value": email}])
    server.wait_for_log("its text is not kept anywhere")
    assert not re.search(rf"{marker} \d{{6}}", server.log), "the message reached the log"
    entry = wait_until(lambda: next(iter(server.outbox(to=email)), None))
    assert (entry["body"], entry["status"]) == (None, "logged"), entry


def test_admin_keys_drop_the_text_a_development_run_left(start_cognate, tmp_path):
    dev = start_cognate(smtp=False)
    app = make_app(dev.idp())
    user = sign_up_user(app)
    assert dev.latest_message(user.email)["body"], "local development keeps the text"
    dev.stop()
    key, secret = "AKIACOGNATEOUTBOX003", "cognate-outbox-secret-1234509876"
    creds = tmp_path / "keys.toml"
    creds.write_text(f'[[credentials]]\naccess_key_id = "{key}"\nsecret_access_key = "{secret}"\n')
    prod = start_cognate(smtp=False, data_dir=dev.data_dir,
                         extra_args=["--admin-credentials-file", str(creds)])
    prod.wait_for_log("dropped the text of earlier outbox messages")
    entry = prod.latest_message(user.email)
    assert entry["body"] is None and entry["subject"] is None, entry


def test_outbox_code_prints_the_codes_for_scripts(start_cognate, smtp_server):
    """``cognate outbox --code``: the code of each selected message, one a line, as the
    README's first session reads it; nothing selected is an error, not an empty line."""
    server = start_cognate(smtp=False)
    idp = server.idp()
    app = make_app(idp)
    first, second = unique_email("first"), unique_email("second")
    app.sign_up(unique_name(), email=first)
    app.sign_up(unique_name(), email=second)
    messages = {e["recipient"]: e for e in server.outbox()}
    for email in (first, second):
        entry = messages[email]
        assert entry["code"] and entry["code"] in entry["body"], entry
        shown = server.run_cli("outbox", *server.store_args(), "--to", email,
                               "--last", "1", "--code").stdout
        assert shown == entry["code"] + "\n"
    both = server.run_cli("outbox", *server.store_args(), "--code").stdout
    assert both.split() == [messages[first]["code"], messages[second]["code"]]
    none = server.run_cli("outbox", *server.store_args(), "--to",
                          unique_email("nobody"), "--code", check=False)
    assert none.returncode == 1 and "no message matches" in none.stderr, none
    clash = server.run_cli("outbox", *server.store_args(), "--code", "--json",
                           check=False)
    assert clash.returncode != 0
