"""Settings come from GLOBUS_JUPYTER_* variables; explicit values win."""

from __future__ import annotations

from pathlib import Path

import pytest

from globus_jupyter.core.errors import UsageProblem
from globus_jupyter.core.settings import TOKEN_SOURCES, Settings

CLIENT_ID = "3b1e7c52-8a4f-4d0e-b6a9-2f1c0d9e8b7a"


def test_settings_are_read_from_globus_jupyter_variables(tmp_path):
    environ = {
        "GLOBUS_JUPYTER_CLIENT_ID": CLIENT_ID,
        "GLOBUS_JUPYTER_ENVIRONMENT": "preview",
        "GLOBUS_JUPYTER_TOKEN_SOURCES": "stored,login",
        "GLOBUS_JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "GLOBUS_JUPYTER_SANDBOX_URL": "http://127.0.0.1:8642/",
    }

    settings = Settings.from_environ(environ)

    assert settings.client_id == CLIENT_ID
    assert settings.environment == "preview"
    assert settings.token_sources == ("stored", "login")
    assert settings.data_dir == tmp_path / "data"
    assert settings.sandbox_url == "http://127.0.0.1:8642/"


def test_without_variables_the_defaults_apply(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    settings = Settings.from_environ({})

    assert settings.client_id is None
    assert settings.environment == "production"
    assert settings.token_sources == ("hub", "client", "stored", "login")
    assert settings.data_dir == tmp_path / "globus-jupyter"
    assert settings.sandbox_url is None


def test_empty_variables_count_as_unset():
    settings = Settings.from_environ(
        {"GLOBUS_JUPYTER_CLIENT_ID": "", "GLOBUS_JUPYTER_TOKEN_SOURCES": ""}
    )

    assert settings.client_id is None
    assert settings.token_sources == TOKEN_SOURCES


def test_the_globus_sdk_environment_is_used_when_ours_is_unset():
    settings = Settings.from_environ({"GLOBUS_SDK_ENVIRONMENT": "test"})

    assert settings.environment == "test"


def test_our_environment_variable_wins_over_the_globus_sdk_one():
    settings = Settings.from_environ(
        {"GLOBUS_SDK_ENVIRONMENT": "test", "GLOBUS_JUPYTER_ENVIRONMENT": "preview"}
    )

    assert settings.environment == "preview"


def test_a_data_dir_under_home_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))

    settings = Settings.from_environ({"GLOBUS_JUPYTER_DATA_DIR": "~/globus"})

    assert settings.data_dir == tmp_path / "globus"


def test_token_sources_are_split_on_commas_and_trimmed():
    settings = Settings.from_environ({"GLOBUS_JUPYTER_TOKEN_SOURCES": " hub , stored,"})

    assert settings.token_sources == ("hub", "stored")


def test_an_unknown_token_source_is_one_line_naming_the_expected_ones():
    with pytest.raises(UsageProblem) as caught:
        Settings.from_environ({"GLOBUS_JUPYTER_TOKEN_SOURCES": "hub,jupyterhub"})

    message = str(caught.value)
    assert "\n" not in message
    assert "'jupyterhub'" in message
    assert "expected some of hub, client, stored, login" in message


def test_token_sources_made_only_of_commas_are_refused():
    with pytest.raises(UsageProblem, match="token sources are empty"):
        Settings.from_environ({"GLOBUS_JUPYTER_TOKEN_SOURCES": " , ,"})


def test_an_unknown_token_source_given_directly_is_refused():
    with pytest.raises(UsageProblem) as caught:
        Settings(token_sources=("hub", "password"))

    assert str(caught.value) == (
        "unknown token source 'password': expected some of hub, client, stored, login"
    )


def test_overrides_win_over_the_environment(tmp_path):
    environ = {
        "GLOBUS_JUPYTER_CLIENT_ID": CLIENT_ID,
        "GLOBUS_JUPYTER_ENVIRONMENT": "preview",
        "GLOBUS_JUPYTER_TOKEN_SOURCES": "hub",
        "GLOBUS_JUPYTER_DATA_DIR": str(tmp_path / "from-env"),
        "GLOBUS_JUPYTER_SANDBOX_URL": "http://127.0.0.1:1111/",
    }

    settings = Settings.from_environ(
        environ,
        client_id="override-client",
        environment="production",
        token_sources=("login",),
        data_dir=tmp_path / "override",
        sandbox_url="http://127.0.0.1:2222/",
    )

    assert settings == Settings(
        client_id="override-client",
        environment="production",
        token_sources=("login",),
        data_dir=tmp_path / "override",
        sandbox_url="http://127.0.0.1:2222/",
    )


def test_an_override_of_none_keeps_the_environment_value():
    settings = Settings.from_environ(
        {"GLOBUS_JUPYTER_CLIENT_ID": CLIENT_ID}, client_id=None
    )

    assert settings.client_id == CLIENT_ID


def test_the_process_environment_is_read_when_none_is_given(monkeypatch):
    monkeypatch.setenv("GLOBUS_JUPYTER_CLIENT_ID", CLIENT_ID)

    assert Settings.from_environ().client_id == CLIENT_ID


def test_replace_returns_changed_settings_and_keeps_the_original():
    original = Settings(client_id=CLIENT_ID, data_dir=Path("/nowhere"))

    changed = original.replace(environment="preview")

    assert changed.environment == "preview"
    assert changed.client_id == CLIENT_ID
    assert original.environment == "production"
