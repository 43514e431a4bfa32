"""
The ``%globus`` command line: subcommands and options named as in globus-cli.

Parsing never exits and never prints a traceback: a wrong line raises
:class:`UsageProblem` with one line saying what is wrong and what was expected.
"""

from __future__ import annotations

import argparse
import re
import shlex
import typing as t

from globus_jupyter.core.errors import UsageProblem

#: subcommand -> one-line summary, in the order ``%globus help`` lists them
COMMANDS: dict[str, str] = {
    "login": "log in to Globus (or to the sandbox with --sandbox)",
    "logout": "revoke this session's tokens and delete the stored ones",
    "whoami": "show the logged-in identity set as a DataFrame",
    "session": "show where the tokens came from, their scopes and expiry",
    "sandbox": "start, stop or describe the offline sandbox (start|stop|status)",
    "help": "show this help, or a command's help: %globus help login",
}


class HelpShown(Exception):
    """Raised after ``--help`` text was produced, to end the command quietly."""

    def __init__(self, text: str) -> None:
        super().__init__("help shown")
        self.text = text


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises instead of printing and exiting."""

    def error(self, message: str) -> t.NoReturn:
        message = message.replace("unrecognized arguments:", "unrecognized argument")
        usage = _one_line(self.format_usage().removeprefix("usage: "))
        raise UsageProblem(f"{self.prog}: {message}; expected: {usage}")

    def exit(self, status: int = 0, message: str | None = None) -> t.NoReturn:
        raise UsageProblem(_one_line(message or f"{self.prog}: invalid command line"))

    def print_help(self, file: t.Any = None) -> None:
        raise HelpShown(self.format_help())


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _command(name: str, description: str) -> CommandParser:
    return CommandParser(prog=f"%globus {name}", description=description)


def build_parsers() -> dict[str, CommandParser]:
    """One parser per subcommand."""
    parsers: dict[str, CommandParser] = {}

    login = _command("login", "Log in to Globus and keep the tokens for later kernels.")
    login.add_argument(
        "--sandbox",
        action="store_true",
        help="log in to the offline sandbox (started if needed) as its default user",
    )
    login.add_argument(
        "--sandbox-user",
        metavar="USERNAME",
        help="with --sandbox, log in as this sandbox user instead",
    )
    login.add_argument(
        "--force", action="store_true", help="log in again even with valid tokens"
    )
    login.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        default=[],
        metavar="SCOPE",
        help="consent to an extra scope now (repeatable)",
    )
    parsers["login"] = login

    parsers["logout"] = _command(
        "logout", "Revoke this session's tokens and delete the stored ones."
    )
    parsers["whoami"] = _command(
        "whoami", "Show the identity set of the logged-in user as a DataFrame."
    )
    parsers["session"] = _command(
        "session",
        "Show the token source, identity, environment, and per resource server the "
        "scopes and expiry (never a token).",
    )

    sandbox = _command("sandbox", "Run the offline Globus sandbox in this kernel.")
    sandbox.add_argument("action", choices=("start", "stop", "status"))
    sandbox.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: any free)"
    )
    parsers["sandbox"] = sandbox

    help_ = _command("help", "Show help for %globus or one of its commands.")
    help_.add_argument("topic", nargs="?", metavar="COMMAND")
    parsers["help"] = help_
    return parsers


def split_line(line: str) -> list[str]:
    """Split a magic line like a shell would, as one-line errors."""
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageProblem(
            f"cannot read the line ({error}); expected shell-style words, with "
            "quotes closed"
        ) from None


def parse_line(
    line: str, parsers: t.Mapping[str, CommandParser]
) -> tuple[str, argparse.Namespace]:
    """``"login --sandbox"`` -> ``("login", Namespace(sandbox=True, ...))``."""
    words = split_line(line)
    if not words or words[0] in ("-h", "--help"):
        return "help", argparse.Namespace(topic=None)
    command, rest = words[0], words[1:]
    if command not in parsers:
        raise UsageProblem(
            f"unknown command {command!r}: expected one of "
            + ", ".join(COMMANDS)
            + " (see %globus help)"
        )
    return command, parsers[command].parse_args(rest)


def overview() -> str:
    """The text of ``%globus help``."""
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: %globus COMMAND [OPTIONS]",
        "       %%globus COMMAND [OPTIONS] [--out NAME]",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {summary}" for name, summary in COMMANDS.items()]
    lines += [
        "",
        "%globus COMMAND --help shows a command's options.",
        "Line magics return their result: df = %globus whoami",
    ]
    return "\n".join(lines)
