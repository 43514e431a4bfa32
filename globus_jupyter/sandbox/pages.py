"""
The web pages of the sandbox's Auth: consent, the code to copy, and errors.

They are plain HTML forms with no scripts, so they work in any browser, in a
notebook's link, and for a program that posts the form directly.
"""

from __future__ import annotations

import html
import typing as t

from werkzeug.wrappers import Response

from .scopes import describe_scope, resource_server_title

if t.TYPE_CHECKING:
    from globus_sdk.scopes import Scope

    from .identities import SandboxUser

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
       padding: 0 1rem; color: #1c2b39; line-height: 1.5; }
header { border-bottom: 3px solid #2f6eb7; margin-bottom: 1.5rem; }
h1 { font-size: 1.4rem; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 0.3rem; }
ul { margin: 0; padding-left: 1.2rem; }
.scope { font-family: ui-monospace, monospace; font-size: 0.8rem; color: #5b6b7a; }
.app { font-family: ui-monospace, monospace; }
.note { color: #5b6b7a; font-size: 0.9rem; }
label, select { font-size: 1rem; }
.buttons { margin-top: 1.5rem; display: flex; gap: 1rem; }
button { font-size: 1rem; padding: 0.5rem 1.4rem; border-radius: 4px;
         border: 1px solid #2f6eb7; cursor: pointer; }
button.approve { background: #2f6eb7; color: white; }
button.deny { background: white; color: #2f6eb7; }
code#auth-code { display: block; font-size: 1.3rem; padding: 0.8rem; margin: 1rem 0;
                 background: #eef3f9; border-radius: 4px; word-break: break-all; }
.error { border-left: 4px solid #b72f2f; padding-left: 1rem; }
"""


def _page(title: str, body: str, status: int = 200) -> Response:
    document = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header><p>Globus Jupyter Sandbox &middot; a local stand-in for Globus Auth</p>
</header>
{body}
</body>
</html>
"""
    return Response(
        document,
        status=status,
        mimetype="text/html",
        headers={"Cache-Control": "no-store"},
    )


def consent_page(
    *,
    client_name: str,
    client_id: str,
    scopes_by_resource_server: dict[str, list[Scope]],
    users: t.Sequence[SandboxUser],
    selected_username: str,
    action: str,
) -> Response:
    """The page where a user picks who they are and approves or denies an app."""
    sections = []
    for resource_server, scopes in scopes_by_resource_server.items():
        items = "".join(_scope_item(scope) for scope in scopes)
        sections.append(
            f"<h2>{html.escape(resource_server_title(resource_server))}</h2>"
            f"<ul>{items}</ul>"
        )
    options = "".join(
        f'<option value="{html.escape(user.username)}"'
        f"{' selected' if user.username == selected_username else ''}>"
        f"{html.escape(user.name)} ({html.escape(user.username)})</option>"
        for user in users
    )
    body = f"""
<h1>{html.escape(client_name)} would like to use Globus on your behalf</h1>
<p>App (client id): <span class="app">{html.escape(client_id)}</span></p>
<p>It asks to:</p>
{"".join(sections)}
<form method="post" action="{html.escape(action)}">
<p><label for="username">Log in as</label>
<select id="username" name="username">{options}</select></p>
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Allow</button>
<button class="deny" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
<p class="note">This sandbox runs on your machine; no real Globus account is used.</p>
"""
    return _page("Allow access - Globus Jupyter Sandbox", body)


def _scope_item(scope: Scope) -> str:
    dependencies = ""
    if scope.dependencies:
        dependencies = (
            "<ul>"
            + "".join(_scope_item(dependency) for dependency in scope.dependencies)
            + "</ul>"
        )
    return (
        f"<li>{html.escape(describe_scope(scope.scope_string))}"
        f'<br><span class="scope">{html.escape(scope.scope_string)}</span>'
        f"{dependencies}</li>"
    )


def auth_code_page(code: str) -> Response:
    """Where a native app's login ends: the code for the user to copy back."""
    body = f"""
<h1>Login complete</h1>
<p>Copy this code and paste it back into your notebook:</p>
<code id="auth-code">{html.escape(code)}</code>
<p class="note">The code works once and expires in 10 minutes.</p>
"""
    return _page("Login complete - Globus Jupyter Sandbox", body)


def login_denied_page(description: str) -> Response:
    """Where a native app's login ends when the user said no."""
    body = f"""
<h1>Login cancelled</h1>
<p class="error">{html.escape(description)}</p>
<p>Nothing was shared. Start the login again from your notebook to retry.</p>
"""
    return _page("Login cancelled - Globus Jupyter Sandbox", body)


def error_page(message: str, status: int = 400) -> Response:
    """A login that cannot go on, said in one line for the person in the browser."""
    body = f"""
<h1>This login request cannot be completed</h1>
<p class="error">{html.escape(message)}</p>
<p>Start the login again from your notebook; if it keeps failing, the app
that sent you here is asking for something the sandbox does not offer.</p>
"""
    return _page("Login error - Globus Jupyter Sandbox", body, status=status)
