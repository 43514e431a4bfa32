"""
Which resource server a scope string belongs to, and how to show it to a person.

Globus Auth issues one token per resource server, so every requested scope has to be
placed under exactly one of them. The well-known scopes come from globus-sdk's own
scope collections, so the sandbox accepts exactly the strings real clients send.
Scopes of dynamic resources (collections, endpoints, flows, timers) carry their
resource server's UUID in the string itself and are accepted for any UUID.
"""

from __future__ import annotations

import re
import uuid

from globus_sdk.scopes import (
    AuthScopes,
    ComputeScopes,
    FlowsScopes,
    GroupsScopes,
    Scope,
    ScopeParser,
    SearchScopes,
    TimersScopes,
    TransferScopes,
)
from globus_sdk.scopes.collection import StaticScopeCollection

from .identities import stable_id

_SERVICE_COLLECTIONS: tuple[StaticScopeCollection, ...] = (
    AuthScopes,
    TransferScopes,
    SearchScopes,
    FlowsScopes,
    ComputeScopes,
    GroupsScopes,
    TimersScopes,
)

_RESOURCE_SERVER_OF_SCOPE: dict[str, str] = {
    scope.scope_string: collection.resource_server
    for collection in _SERVICE_COLLECTIONS
    for scope in collection
}

_SERVICE_TITLES: dict[str, str] = {
    AuthScopes.resource_server: "Globus Auth",
    TransferScopes.resource_server: "Globus Transfer",
    SearchScopes.resource_server: "Globus Search",
    FlowsScopes.resource_server: "Globus Flows",
    ComputeScopes.resource_server: "Globus Compute",
    GroupsScopes.resource_server: "Globus Groups",
    TimersScopes.resource_server: "Globus Timers",
}

_SCOPE_DESCRIPTIONS: dict[str, str] = {
    AuthScopes.openid.scope_string: "Know who you are in Globus",
    AuthScopes.email.scope_string: "View your email address",
    AuthScopes.profile.scope_string: "View your name, organization and sign-in method",
    AuthScopes.view_identities.scope_string: "Look up other Globus identities",
    AuthScopes.view_identity_set.scope_string: "View your linked identities",
    AuthScopes.view_consents.scope_string: "View the consents you have granted",
    TransferScopes.all.scope_string: "Move and manage your files with Globus Transfer",
    SearchScopes.all.scope_string: "Search and manage your Globus Search indexes",
    SearchScopes.search.scope_string: "Search Globus Search indexes",
    SearchScopes.ingest.scope_string: "Add entries to your Globus Search indexes",
    FlowsScopes.all.scope_string: "Create, run and manage your flows",
    FlowsScopes.run.scope_string: "Run flows",
    FlowsScopes.run_status.scope_string: "View the status of your flow runs",
    FlowsScopes.run_manage.scope_string: "Manage your flow runs",
    FlowsScopes.view_flows.scope_string: "View flows",
    FlowsScopes.manage_flows.scope_string: "Create and manage flows",
    ComputeScopes.all.scope_string: "Register and run functions with Globus Compute",
    GroupsScopes.all.scope_string: "View and manage your groups",
    GroupsScopes.view_my_groups_and_memberships.scope_string: (
        "View your groups and memberships"
    ),
    TimersScopes.timer.scope_string: "Schedule and manage timers",
}

# https://auth.globus.org/scopes/<resource server>/<name>
_URL_SCOPE = re.compile(
    r"^https://auth\.globus\.org/scopes/(?P<rs>[^/]+)/(?P<name>.+)$"
)
# urn:globus:auth:scope:<resource server>:<name>
_URN_SCOPE = re.compile(r"^urn:globus:auth:scope:(?P<rs>[^:]+):(?P<name>.+)$")

# resource servers named by a host rather than a UUID that may own URL scopes
_NAMED_URL_RESOURCE_SERVERS = frozenset({"actions.globus.org"})


class InvalidScope(ValueError):
    """A requested scope string that Globus Auth would not accept."""


def parse_scopes(scope_string: str) -> list[Scope]:
    """
    Parse a requested scope string, dependencies and all, and check every scope.

    :raises InvalidScope: if the string is empty, malformed, or names a scope that
        belongs to no resource server
    """
    try:
        scopes = ScopeParser.parse(scope_string)
    except ValueError as error:
        raise InvalidScope(f"the scope string is malformed: {error}") from None
    if not scopes:
        raise InvalidScope("no scope was requested; expected one or more scopes")
    for scope in scopes:
        _check_scope_tree(scope)
    order = _top_level_order(scope_string)
    return sorted(scopes, key=lambda scope: order.get(scope.scope_string, len(order)))


def _top_level_order(scope_string: str) -> dict[str, int]:
    """
    Where each top-level scope first appears in the requested string.

    The parser returns top-level scopes in no particular order, but Globus Auth puts
    the first requested resource server's token at the top of its response.
    """
    order: dict[str, int] = {}
    depth = 0
    for piece in re.findall(r"[\[\]]|[^\s\[\]]+", scope_string):
        if piece == "[":
            depth += 1
        elif piece == "]":
            depth -= 1
        elif depth == 0:
            order.setdefault(piece.lstrip("*"), len(order))
    return order


def _check_scope_tree(scope: Scope) -> None:
    resource_server_of(scope.scope_string)
    for dependency in scope.dependencies:
        _check_scope_tree(dependency)


def resource_server_of(scope_string: str) -> str:
    """
    The resource server a scope string belongs to.

    :raises InvalidScope: if the scope is unknown
    """
    known = _RESOURCE_SERVER_OF_SCOPE.get(scope_string)
    if known is not None:
        return known

    for pattern in (_URL_SCOPE, _URN_SCOPE):
        match = pattern.match(scope_string)
        if match is None:
            continue
        resource_server = match.group("rs")
        if _is_uuid(resource_server):
            return resource_server
        if pattern is _URL_SCOPE and resource_server in _NAMED_URL_RESOURCE_SERVERS:
            return resource_server
    raise InvalidScope(f"unknown scope {scope_string!r}")


def group_by_resource_server(scopes: list[Scope]) -> dict[str, list[Scope]]:
    """Root scopes grouped by resource server, in the order they were requested."""
    groups: dict[str, list[Scope]] = {}
    for scope in scopes:
        group = groups.setdefault(resource_server_of(scope.scope_string), [])
        if all(seen.scope_string != scope.scope_string for seen in group):
            group.append(scope)
    return groups


def resource_server_title(resource_server: str) -> str:
    """How a resource server is named on the consent page."""
    return _SERVICE_TITLES.get(resource_server, f"Resource server {resource_server}")


def describe_scope(scope_string: str) -> str:
    """A short sentence saying what a scope lets an app do."""
    known = _SCOPE_DESCRIPTIONS.get(scope_string)
    if known is not None:
        return known
    name = scope_string.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    resource_server = resource_server_of(scope_string)
    if name == "data_access":
        return f"Access data on collection {resource_server}"
    return f"Use {name!r} on {resource_server_title(resource_server)}"


def scope_id(scope_string: str) -> str:
    """The stable id of a scope, as Globus Auth reports it in consents."""
    return stable_id(f"scope:{scope_string}")


def resource_server_client_id(resource_server: str) -> str:
    """
    The client that acts for a resource server.

    Dependent consents are granted to the client of the service that uses them,
    e.g. a collection's ``data_access`` consent belongs to Transfer's client.
    """
    for collection in (FlowsScopes, ComputeScopes):
        if collection.resource_server == resource_server:
            return collection.client_id
    if _is_uuid(resource_server):
        return resource_server
    return stable_id(f"client:{resource_server}")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
