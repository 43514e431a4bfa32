"""Errors the user can act on become one line; anything else is a bug to show."""

from __future__ import annotations

import json
import typing as t

import globus_sdk
import pytest
import requests

from globus_jupyter.core.errors import (
    HubDataError,
    LoginRequired,
    UsageProblem,
    describe_error,
)
from globus_jupyter.magics.display import GlobusCommandError


def api_error(
    url: str, status: int, body: dict[str, t.Any]
) -> globus_sdk.GlobusAPIError:
    """A ``GlobusAPIError`` for the response a service gave to a GET of ``url``."""
    response = requests.Response()
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(body).encode()
    response.url = url
    response.request = requests.Request("GET", url).prepare()
    return globus_sdk.GlobusAPIError(response)


def request_to(url: str) -> requests.PreparedRequest:
    return requests.Request("GET", url).prepare()


# -- API errors ------------------------------------------------------------------------


def test_an_api_error_is_one_line_with_status_code_message_and_request_id():
    error = api_error(
        "https://transfer.api.globus.org/v0.10/task/7c1e0bfa-3d1c-4d5e-9a3b-2f1e0d9c8b7a",
        404,
        {
            "code": "ClientError.NotFound",
            "message": "Task 7c1e0bfa-3d1c-4d5e-9a3b-2f1e0d9c8b7a not found",
            "request_id": "abc123",
        },
    )

    line = describe_error(error)

    assert line == (
        "Globus Transfer error 404 ClientError.NotFound: "
        "Task 7c1e0bfa-3d1c-4d5e-9a3b-2f1e0d9c8b7a not found (request id abc123)"
    )


def test_a_multi_line_api_message_is_shown_on_one_line():
    error = api_error(
        "https://search.api.globus.org/v1/index/abc/search",
        400,
        {"code": "BadRequest", "message": "bad query\nnear 'AND'", "request_id": "r1"},
    )

    line = describe_error(error)

    assert line is not None
    assert "\n" not in line
    assert line.startswith("Globus Search error 400 BadRequest: bad query near 'AND'")


def test_a_very_long_api_message_is_shortened():
    error = api_error(
        "https://flows.globus.org/flows",
        500,
        {"code": "InternalError", "message": "x" * 5000},
    )

    line = describe_error(error)

    assert line is not None
    assert len(line) < 400
    assert line.endswith("...")


def test_an_api_error_without_request_id_leaves_it_out():
    error = api_error(
        "https://auth.globus.org/v2/api/identities",
        403,
        {"code": "FORBIDDEN", "message": "Not allowed"},
    )

    assert describe_error(error) == "Globus Auth error 403 FORBIDDEN: Not allowed"


# -- network errors --------------------------------------------------------------------


def test_an_unreachable_service_is_named():
    url = "https://search.api.globus.org/v1/index/abc/search"
    error = globus_sdk.GlobusConnectionError(
        "connection refused",
        requests.ConnectionError("connection refused", request=request_to(url)),
    )

    line = describe_error(error)

    assert line == (
        "could not reach Globus Search (ConnectionError); check the network or "
        "the sandbox"
    )


def test_a_service_that_does_not_answer_in_time_is_named():
    url = "https://transfer.api.globus.org/v0.10/endpoint_search"
    error = globus_sdk.GlobusTimeoutError(
        "timed out", requests.Timeout("timed out", request=request_to(url))
    )

    line = describe_error(error)

    assert line == (
        "Globus Transfer did not answer in time (Timeout); try again in a moment"
    )


def test_a_sandbox_service_is_named_by_its_path():
    url = "http://127.0.0.1:8642/compute/v2/tasks/abc"
    error = globus_sdk.GlobusConnectionError(
        "refused", requests.ConnectionError("refused", request=request_to(url))
    )

    assert describe_error(error) == (
        "could not reach Globus Compute (ConnectionError); check the network or "
        "the sandbox"
    )


# -- our own errors and bugs -----------------------------------------------------------


@pytest.mark.parametrize("error_class", [UsageProblem, LoginRequired, HubDataError])
def test_our_own_errors_are_shown_as_their_message(error_class):
    error = error_class("%globus ls: expected COLLECTION[:PATH]")

    assert describe_error(error) == "%globus ls: expected COLLECTION[:PATH]"


def test_an_sdk_usage_error_says_globus_sdk_refused_it():
    error = globus_sdk.GlobusSDKUsageError("no scopes were given")

    assert describe_error(error) == (
        "globus-sdk refused the request: no scopes were given"
    )


@pytest.mark.parametrize("bug", [ValueError("bad"), KeyError("sub"), AssertionError()])
def test_anything_else_is_a_bug_and_gets_no_one_line_text(bug):
    assert describe_error(bug) is None


def test_a_command_error_renders_as_exactly_one_line():
    error = GlobusCommandError("unknown command 'lss': expected one of login, help")

    rendered = error._render_traceback_()

    assert len(rendered) == 1
    assert "\n" not in rendered[0]
    assert "GlobusCommandError" in rendered[0]
    assert rendered[0].endswith("unknown command 'lss': expected one of login, help")
