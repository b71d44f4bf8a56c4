"""The local sandbox, driven over loopback by the official ringcentral SDK and by plain httpx.

Every rule the runner depends on is exercised: OAuth with rotation, the error bodies, the 429 trap
with a lower custom limit, permissions with inclusions, validation, stateful resources, binary
content, the time scale, faults and the sandbox's own review.
"""

from __future__ import annotations

import time

import httpx
import pytest
from ringcentral import SDK

from runner.clock import ManualClock
from runner.sandbox import Faults, SandboxConfig, running_sandbox
from tests.conftest import sandbox_token

pytestmark = pytest.mark.loopback

EXT = "/restapi/v1.0/account/~/extension/~"
CONTACTS = f"{EXT}/address-book/contact"


def _login(sb):  # type: ignore[no-untyped-def]
    platform = SDK(sb.config.client_id, sb.config.client_secret, sb.url).platform()
    platform.login(jwt=sb.config.jwt)
    return platform


def test_the_official_sdk_logs_in_calls_refreshes_and_logs_out():
    with running_sandbox(SandboxConfig()) as sb:
        platform = _login(sb)
        first = platform.auth().data()["access_token"]
        assert platform.get(EXT).json_dict()["id"]
        old_refresh = platform.auth().data()["refresh_token"]
        platform.refresh()
        assert platform.auth().data()["refresh_token"] != old_refresh
        # The old access token died with the refresh; the old refresh token is single-use.
        dead = httpx.get(sb.url + EXT, headers={"Authorization": f"Bearer {first}"})
        assert dead.status_code == 401 and dead.json()["errors"][0]["errorCode"] == "OAU-149"
        reuse = httpx.post(
            sb.url + "/restapi/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": old_refresh},
            auth=(sb.config.client_id, sb.config.client_secret),
        )
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
        assert platform.get(f"{EXT}/presence").ok()
        current = platform.auth().data()["access_token"]
        platform.logout()
        revoked = httpx.get(sb.url + EXT, headers={"Authorization": f"Bearer {current}"})
        assert revoked.status_code == 401


def test_bad_client_and_bad_jwt_get_oauth_errors():
    with running_sandbox(SandboxConfig()) as sb:
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": sb.config.jwt}
        bad_client = httpx.post(
            sb.url + "/restapi/oauth/token", data=form, auth=(sb.config.client_id, "nope")
        )
        assert bad_client.json()["error"] == "invalid_client"
        form["assertion"] = "not-the-jwt"
        bad_jwt = httpx.post(
            sb.url + "/restapi/oauth/token", data=form, auth=(sb.config.client_id, sb.config.client_secret)
        )
        assert bad_jwt.status_code == 400 and bad_jwt.json()["error"] == "invalid_grant"
        assert bad_jwt.json()["errors"][0]["errorCode"].startswith("OAU-")
        assert sb.config.jwt not in bad_jwt.text


def test_expired_unknown_and_missing_tokens_get_ringcentral_401s():
    clock = ManualClock()
    with running_sandbox(SandboxConfig(clock=clock, access_token_ttl=600)) as sb:
        token = sandbox_token(sb)
        missing = httpx.get(sb.url + EXT)
        assert missing.status_code == 401 and missing.json()["errorCode"] == "AGW-401"
        unknown = httpx.get(sb.url + EXT, headers={"Authorization": "Bearer made-up"})
        assert unknown.json()["errorCode"] == "TokenInvalid"
        assert unknown.json()["errors"][0]["errorCode"] == "OAU-149"
        clock.advance(601)
        expired = httpx.get(sb.url + EXT, headers={"Authorization": f"Bearer {token}"})
        assert expired.status_code == 401 and expired.json()["errors"][0]["errorCode"] == "OAU-128"
        review = httpx.get(sb.url + "/__sandbox/status", headers=sb.control_headers).json()
        hygiene = next(c for c in review["criteria"] if c["name"] == "token_hygiene")
        assert hygiene["value"] == 2 and not hygiene["met"]  # the expired and the unknown token


def test_the_429_trap_with_a_lower_custom_limit_and_the_penalty_restart():
    clock = ManualClock()
    with running_sandbox(SandboxConfig(clock=clock, limits={"Heavy": 3})) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        url = sb.url + f"{EXT}/call-log"  # Heavy
        for remaining in (2, 1, 0):
            ok = httpx.get(url, headers=auth)
            assert ok.status_code == 200
            assert ok.headers["X-Rate-Limit-Limit"] == "3"
            assert ok.headers["X-Rate-Limit-Remaining"] == str(remaining)
            assert ok.headers["X-Rate-Limit-Window"] == "60"
            assert ok.headers["X-Rate-Limit-Group"] == "Heavy"
        over = httpx.get(url, headers=auth)
        assert over.status_code == 429 and over.json()["errorCode"] == "CMN-301"
        assert over.headers["Retry-After"] == "60"
        assert httpx.get(sb.url + f"{EXT}/presence", headers=auth).status_code == 200  # Light is separate
        clock.advance(59)
        assert httpx.get(url, headers=auth).status_code == 429  # during the penalty: refused, and restarted
        clock.advance(59)
        assert httpx.get(url, headers=auth).status_code == 429  # 118 s after the first 429, still trapped
        clock.advance(61)
        assert httpx.get(url, headers=auth).status_code == 200


def test_background_load_takes_its_share_and_the_time_scale_shrinks_the_window():
    with running_sandbox(SandboxConfig(time_scale=0.01, background_load={"Light": 0.5})) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        first = httpx.get(sb.url + EXT, headers=auth)
        assert first.headers["X-Rate-Limit-Remaining"] == "24"  # 50 - 25 taken by the app's other traffic - 1
        assert first.headers["X-Rate-Limit-Window"] == "0.6"


def test_permissions_count_inclusions_and_name_the_missing_one():
    with running_sandbox(SandboxConfig(scopes=frozenset({"SMS", "ReadAccounts"}))) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        assert (
            httpx.get(sb.url + f"{EXT}/message-store", headers=auth).status_code == 200
        )  # SMS ⊇ ReadMessages
        refused = httpx.get(sb.url + f"{EXT}/call-log", headers=auth)
        assert refused.status_code == 403
        body = refused.json()
        assert body["errorCode"] == "InsufficientPermissions" and body["permissionName"] == "ReadCallLog"
        assert body["errors"][0]["errorCode"] == "CMN-401"


def test_validation_unknown_paths_and_unknown_ids():
    with running_sandbox(SandboxConfig()) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        assert httpx.get(sb.url + "/restapi/v1.0/nowhere", headers=auth).json()["errorCode"] == "CMN-120"
        missing = httpx.post(sb.url + f"{EXT}/sms", headers=auth, json={"text": "hi"})
        assert missing.status_code == 400
        assert missing.json()["errorCode"] == "CMN-101" and missing.json()["parameterName"] in ("from", "to")
        gone = httpx.get(sb.url + f"{CONTACTS}/999", headers=auth)
        assert gone.status_code == 404 and gone.json()["errors"][0]["errorCode"] == "CMN-102"


def test_resources_are_stateful_and_tilde_is_the_own_id():
    with running_sandbox(SandboxConfig()) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        created = httpx.post(
            sb.url + CONTACTS, headers=auth, json={"firstName": "Ada", "lastName": "Lovelace"}
        )
        assert created.status_code in (200, 201)
        contact_id = created.json()["id"]
        own = httpx.get(sb.url + EXT, headers=auth).json()["id"]
        by_number = f"/restapi/v1.0/account/~/extension/{own}/address-book/contact/{contact_id}"
        assert httpx.get(sb.url + by_number, headers=auth).json()["firstName"] == "Ada"
        changed = httpx.put(sb.url + f"{CONTACTS}/{contact_id}", headers=auth, json={"firstName": "Grace"})
        assert changed.json()["firstName"] == "Grace" and changed.json()["lastName"] == "Lovelace"
        listed = httpx.get(sb.url + CONTACTS, headers=auth).json()["records"]
        assert contact_id in [r["id"] for r in listed]
        assert httpx.delete(sb.url + f"{CONTACTS}/{contact_id}", headers=auth).status_code == 204
        assert httpx.get(sb.url + f"{CONTACTS}/{contact_id}", headers=auth).status_code == 404


def test_seeded_faxes_serve_their_pdf_attachments():
    with running_sandbox(SandboxConfig()) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        faxes = httpx.get(sb.url + f"{EXT}/message-store", headers=auth, params={"messageType": "Fax"}).json()
        assert len(faxes["records"]) >= 30
        attachment = faxes["records"][0]["attachments"][0]
        pdf = httpx.get(attachment["uri"], headers=auth)  # absolute, as RingCentral writes it
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_faults_503_forced_429_and_revoke_all():
    with running_sandbox(SandboxConfig(faults=Faults(error_rate=1.0))) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        assert httpx.get(sb.url + EXT, headers=auth).status_code == 503
        httpx.post(
            sb.url + "/__sandbox/faults", headers=sb.control_headers, json={"error_rate": 0, "force_429": 1}
        )
        assert httpx.get(sb.url + EXT, headers=auth).status_code == 429
        assert httpx.get(sb.url + EXT, headers=auth).status_code == 200
        assert httpx.post(sb.url + "/__sandbox/revoke-all", headers=sb.control_headers).json()["revoked"] == 1
        assert httpx.get(sb.url + EXT, headers=auth).status_code == 401
        assert (
            httpx.post(
                sb.url + "/__sandbox/faults", headers=sb.control_headers, json={"no_such_fault": 1}
            ).status_code
            == 400
        )


def test_dropped_connections_fail_in_transport():
    with running_sandbox(SandboxConfig(faults=Faults(drop_rate=1.0))) as sb:
        auth = {"Authorization": f"Bearer {sandbox_token(sb)}"}
        with pytest.raises(httpx.TransportError):
            httpx.get(sb.url + EXT, headers=auth)


def test_the_log_and_status_see_every_call_without_tokens():
    with running_sandbox(SandboxConfig(scopes=frozenset({"ReadAccounts"}))) as sb:
        token = sandbox_token(sb)
        for _ in range(21):
            httpx.get(sb.url + EXT, headers={"Authorization": f"Bearer {token}"})
        log = httpx.get(sb.url + "/__sandbox/log", headers=sb.control_headers)
        assert token not in log.text and sb.config.jwt not in log.text
        kinds = [entry["kind"] for entry in log.json()]
        assert kinds.count("oauth") == 1 and kinds.count("api") == 21
        review = httpx.get(sb.url + "/__sandbox/status", headers=sb.control_headers).json()
        assert review["met"], review


def test_state_survives_a_restart(tmp_path):
    config = SandboxConfig(state_path=tmp_path / "state.json")
    with running_sandbox(config) as sb:
        token = sandbox_token(sb)
        created = httpx.post(
            sb.url + CONTACTS, headers={"Authorization": f"Bearer {token}"}, json={"firstName": "A"}
        )
    assert (tmp_path / "state.json").stat().st_mode & 0o077 == 0
    with running_sandbox(config) as sb:
        again = httpx.get(
            sb.url + f"{CONTACTS}/{created.json()['id']}", headers={"Authorization": f"Bearer {token}"}
        )
        assert again.status_code == 200
        assert len(sb.state.log) == 3  # the login and the POST from before, and this GET


def test_the_request_log_is_on_disk_as_it_grows_and_a_torn_last_line_is_dropped(tmp_path):
    from runner.sandbox.journal import Journal
    from runner.sandbox.server import journal_path

    config = SandboxConfig(scopes=frozenset({"ReadAccounts"}), state_path=tmp_path / "state.json")
    with running_sandbox(config) as sb:
        token = httpx.post(
            sb.url + "/restapi/oauth/token",
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": sb.config.jwt},
            auth=(sb.config.client_id, sb.config.client_secret),
        ).json()["access_token"]
        httpx.get(sb.url + "/restapi/v1.0/account/~", headers={"Authorization": f"Bearer {token}"})
        path = journal_path(config)
        assert path is not None
        # Written while the sandbox runs, not on exit: a kill -9 now would keep both calls.
        assert path.read_text().count("\n") == 2
        assert token not in path.read_text()
    with path.open("a") as torn:
        torn.write('{"ts": 1, "method": "GE')  # what a kill mid-write leaves
    records, journal = Journal.reopen(path, now=time.time())
    journal.close()
    assert [r.status for r in records] == [200, 200]
    assert path.read_text().count("\n") == 2  # rewritten without the torn line
