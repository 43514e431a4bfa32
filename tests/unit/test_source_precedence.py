"""Which token source a session uses, and what it shows of the tokens."""

from __future__ import annotations

import stat
import time
import typing as t

import pytest
from globus_sdk.token_storage import TokenStorageData

from globus_jupyter.core.errors import HubDataError, LoginRequired
from globus_jupyter.core.session import Session
from globus_jupyter.core.settings import Settings
from globus_jupyter.core.storage import TOKEN_DATABASE_NAME, SharedSQLiteTokenStorage

IDENTITY_ID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
CLIENT_ID = "8e2f4a6c-1b3d-4e5f-9a7b-0c1d2e3f4a5b"
STORED_ACCESS_TOKEN = "AgStoredAuthAccessTokenNeverShown0004"
STORED_REFRESH_TOKEN = "AgStoredAuthRefreshTokenNeverShown0005"
CLIENT_CREDENTIALS = {
    "GLOBUS_CLIENT_ID": "2a4c6e8f-0b1d-4f3a-8c5e-7a9b1c3d5e7f",
    "GLOBUS_CLIENT_SECRET": "client-secret-never-shown",
}
IDENTITY_SCOPES = (
    "openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set"
)


@pytest.fixture
def make_session(tmp_path) -> t.Iterator[t.Callable[..., Session]]:
    """Sessions with their data in ``tmp_path``, closed after the test."""
    made: list[Session] = []

    def make(environ: t.Mapping[str, str], **settings: t.Any) -> Session:
        settings.setdefault("client_id", CLIENT_ID)
        settings.setdefault("data_dir", tmp_path)
        session = Session(
            Settings(environment="production", **settings), environ=environ
        )
        made.append(session)
        return session

    yield make
    for session in made:
        session.close()


def resolve_source(session: Session) -> str:
    return session.source


def store_tokens(data_dir, *, client_id: str = CLIENT_ID) -> None:
    """Leave tokens in the data dir as an earlier login in this environment would."""
    storage = SharedSQLiteTokenStorage(
        data_dir / TOKEN_DATABASE_NAME, namespace=f"production/{client_id}"
    )
    storage.store_token_data_by_resource_server(
        {
            "auth.globus.org": TokenStorageData(
                resource_server="auth.globus.org",
                identity_id=IDENTITY_ID,
                scope=IDENTITY_SCOPES,
                access_token=STORED_ACCESS_TOKEN,
                refresh_token=STORED_REFRESH_TOKEN,
                expires_at_seconds=int(time.time()) + 3600,
                token_type="Bearer",
            )
        }
    )
    storage.close()


@pytest.fixture
def hub_environ(hub_auth_state, globus_data) -> dict[str, str]:
    return {"GLOBUS_DATA": globus_data(hub_auth_state)}


# -- the default order: hub, client, stored, login -------------------------------------


@pytest.mark.parametrize(
    ("hub", "client", "stored", "expected"),
    [
        (True, True, True, "hub"),
        (True, False, False, "hub"),
        (False, True, True, "client"),
        (False, True, False, "client"),
        (False, False, True, "stored"),
        (False, False, False, "login"),
    ],
)
def test_the_default_order_is_hub_client_stored_login(
    make_session, tmp_path, hub_environ, hub, client, stored, expected
):
    environ = {**(hub_environ if hub else {}), **(CLIENT_CREDENTIALS if client else {})}
    if stored:
        store_tokens(tmp_path)

    session = make_session(environ)

    assert session.source == expected


def test_a_configured_order_is_honoured(make_session, hub_environ):
    session = make_session(
        {**hub_environ, **CLIENT_CREDENTIALS}, token_sources=("client", "hub")
    )

    assert session.source == "client"


def test_stored_comes_before_hub_when_configured_so(
    make_session, tmp_path, hub_environ
):
    store_tokens(tmp_path)

    session = make_session(hub_environ, token_sources=("stored", "hub"))

    assert session.source == "stored"


def test_tokens_stored_for_another_client_do_not_apply(make_session, tmp_path):
    store_tokens(tmp_path, client_id="11111111-2222-4333-8444-555555555555")

    session = make_session({})

    assert session.source == "login"


def test_stored_without_tokens_and_without_login_requires_a_login(make_session):
    with pytest.raises(LoginRequired, match="expected one of stored"):
        resolve_source(make_session({}, token_sources=("stored",)))


def test_an_empty_token_store_falls_through_to_the_next_source(make_session):
    session = make_session(
        CLIENT_CREDENTIALS, token_sources=("stored", "client", "login")
    )

    assert session.source == "client"


def test_hub_only_without_globus_data_names_the_missing_sources(make_session):
    with pytest.raises(LoginRequired) as caught:
        resolve_source(make_session({}, token_sources=("hub",)))

    message = str(caught.value)
    assert "\n" not in message
    assert "expected one of hub" in message
    assert "GLOBUS_DATA" in message


def test_client_credentials_need_both_id_and_secret(make_session):
    environ = {"GLOBUS_CLIENT_ID": CLIENT_CREDENTIALS["GLOBUS_CLIENT_ID"]}

    session = make_session(environ)

    assert session.source == "login"


def test_unreadable_globus_data_is_reported_rather_than_skipped(make_session):
    with pytest.raises(HubDataError, match="not valid base64"):
        resolve_source(make_session({"GLOBUS_DATA": "not base64 at all"}))


def test_hub_data_without_a_user_is_refused(make_session, hub_auth_state, globus_data):
    del hub_auth_state["globus_user"]

    with pytest.raises(HubDataError, match="no globus_user 'sub'"):
        resolve_source(make_session({"GLOBUS_DATA": globus_data(hub_auth_state)}))


def test_a_login_without_a_client_id_says_how_to_register_one(make_session):
    session = make_session({}, client_id=None)

    with pytest.raises(LoginRequired) as caught:
        session.begin_login()

    message = str(caught.value)
    assert "\n" not in message
    assert "https://app.globus.org/settings/developers" in message
    assert "GLOBUS_JUPYTER_CLIENT_ID" in message


# -- stored tokens stay private --------------------------------------------------------


def test_the_token_database_is_private_after_a_session_uses_it(make_session, tmp_path):
    data_dir = tmp_path / "globus-jupyter"
    store_tokens(data_dir)
    database = data_dir / TOKEN_DATABASE_NAME
    # as if another tool had loosened the permissions in between
    database.chmod(0o644)
    data_dir.chmod(0o755)

    session = make_session({}, data_dir=data_dir)

    assert session.source == "stored"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


# -- what a session shows --------------------------------------------------------------


def test_a_session_repr_names_its_source_but_no_token(make_session, tmp_path):
    store_tokens(tmp_path)
    session = make_session({})

    assert repr(session) == "Session(environment='production', source='unresolved')"
    assert session.source == "stored"
    shown = repr(session)

    assert shown == "Session(environment='production', source='stored')"
    assert STORED_ACCESS_TOKEN not in shown


def test_describe_shows_source_identity_and_scopes_but_no_token(
    make_session, tmp_path, mocked_responses
):
    store_tokens(tmp_path)
    mocked_responses.get(
        "https://auth.globus.org/v2/oauth2/userinfo",
        json={"sub": IDENTITY_ID, "preferred_username": "ada@university.example.org"},
    )
    session = make_session({})

    info = session.describe()

    assert info.source == "stored"
    assert info.identity is not None
    assert info.identity.username == "ada@university.example.org"
    text = str(info)
    assert "identity:    ada@university.example.org" in text
    assert "source:      tokens stored by an earlier login" in text
    assert "view_identity_set" in text
    for shown in (text, repr(info), info._repr_html_()):
        assert STORED_ACCESS_TOKEN not in shown
        assert STORED_REFRESH_TOKEN not in shown


def test_describe_of_a_hub_session_uses_the_hub_token_and_never_shows_it(
    make_session, hub_auth_state, hub_environ, mocked_responses
):
    hub_user = hub_auth_state["globus_user"]
    auth_token = hub_auth_state["tokens"]["auth.globus.org"]["access_token"]
    transfer_token = hub_auth_state["tokens"]["transfer.api.globus.org"]["access_token"]
    userinfo = mocked_responses.get(
        "https://auth.globus.org/v2/oauth2/userinfo",
        json={
            "sub": hub_user["sub"],
            "preferred_username": hub_user["preferred_username"],
        },
    )
    session = make_session(hub_environ)

    info = session.describe()

    assert userinfo.calls[0].request.headers["Authorization"] == f"Bearer {auth_token}"
    text = str(info)
    assert "identity:    ada@university.example.org" in text
    assert "source:      JupyterHub (GLOBUS_DATA)" in text
    assert "transfer.api.globus.org" in text
    for shown in (text, repr(info), repr(session)):
        assert auth_token not in shown
        assert transfer_token not in shown


def test_describe_before_any_login_asks_nobody(make_session, mocked_responses):
    session = make_session({})

    info = session.describe()

    assert info.source == "login"
    assert info.identity is None
    assert str(info).splitlines()[0] == "identity:    nobody (not logged in)"
    assert str(info).splitlines()[-1] == "no tokens yet"
