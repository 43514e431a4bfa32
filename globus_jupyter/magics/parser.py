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
    "ls": "list a directory of a collection as a DataFrame",
    "stat": "show one file's or directory's details",
    "mkdir": "make a directory on a collection",
    "rename": "rename a file or directory on a collection",
    "rm": "delete a file or directory (a delete task)",
    "transfer": "transfer files between collections, with live progress",
    "task": "list, show, wait for, cancel tasks; their events; progress; a board",
    "browse": "browse two collections side by side and transfer between them",
    "endpoint": "search for collections and endpoints (endpoint search TEXT)",
    "bookmark": "list your Transfer bookmarks (bookmark list)",
    "alias": "name a collection and path: %globus alias home=UUID:/~/",
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

    _add_transfer_commands(parsers)

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


_REFERENCE_HELP = "COLLECTION[:PATH]: a collection UUID, alias or bookmark name"


def _add_transfer_commands(parsers: dict[str, CommandParser]) -> None:
    ls = _command("ls", "List a directory as a DataFrame (name, type, size, ...).")
    ls.add_argument("reference", metavar="COLLECTION[:PATH]", help=_REFERENCE_HELP)
    ls.add_argument("-a", "--all", action="store_true", help="show hidden files")
    ls.add_argument(
        "--filter", metavar="PATTERN", help="only names matching, e.g. '~*.csv'"
    )
    ls.add_argument("--orderby", metavar="FIELD", help="e.g. 'name ASC', 'size DESC'")
    ls.add_argument("--limit", type=int, metavar="N", help="at most N entries")
    parsers["ls"] = ls

    stat = _command("stat", "Show the details of one file or directory.")
    stat.add_argument("reference", metavar="COLLECTION:PATH", help=_REFERENCE_HELP)
    parsers["stat"] = stat

    mkdir = _command("mkdir", "Make a directory on a collection.")
    mkdir.add_argument("reference", metavar="COLLECTION:PATH", help=_REFERENCE_HELP)
    parsers["mkdir"] = mkdir

    rename = _command("rename", "Rename a file or directory on a collection.")
    rename.add_argument("collection", metavar="COLLECTION", help=_REFERENCE_HELP)
    rename.add_argument("source", metavar="SOURCE_PATH")
    rename.add_argument("destination", metavar="DEST_PATH")
    parsers["rename"] = rename

    rm = _command("rm", "Delete a file or directory with a delete task.")
    rm.add_argument("reference", metavar="COLLECTION:PATH", help=_REFERENCE_HELP)
    rm.add_argument("-r", "--recursive", action="store_true")
    rm.add_argument("--label", metavar="TEXT")
    rm.add_argument("-f", "--ignore-missing", action="store_true")
    _add_wait_options(rm)
    parsers["rm"] = rm

    transfer = _command(
        "transfer",
        "Transfer a file or directory; with %%globus transfer, each line of the cell "
        "is [--recursive] SOURCE_PATH DEST_PATH, relative to the two references.",
    )
    transfer.add_argument("source", metavar="SOURCE", help=_REFERENCE_HELP)
    transfer.add_argument("destination", metavar="DEST", help=_REFERENCE_HELP)
    transfer.add_argument("-r", "--recursive", action="store_true")
    transfer.add_argument("--label", metavar="TEXT")
    transfer.add_argument(
        "-s", "--sync-level", choices=("exists", "size", "mtime", "checksum")
    )
    transfer.add_argument(
        "--verify-checksum",
        dest="verify_checksum",
        action="store_true",
        default=True,
        help="verify checksums after copying (the default)",
    )
    transfer.add_argument(
        "--no-verify-checksum", dest="verify_checksum", action="store_false"
    )
    transfer.add_argument(
        "--preserve-timestamp", "--preserve-mtime", action="store_true"
    )
    transfer.add_argument("--encrypt-data", "--encrypt", action="store_true")
    transfer.add_argument("--include", action="append", default=[], metavar="PATTERN")
    transfer.add_argument("--exclude", action="append", default=[], metavar="PATTERN")
    transfer.add_argument("--deadline", metavar="ISO_DATETIME")
    transfer.add_argument("--delete-destination-extra", "--delete", action="store_true")
    transfer.add_argument("--skip-source-errors", action="store_true")
    transfer.add_argument("--fail-on-quota-errors", action="store_true")
    transfer.add_argument(
        "--dry-run", action="store_true", help="show the document, submit nothing"
    )
    _add_wait_options(transfer)
    parsers["transfer"] = transfer

    task = _command("task", "Work with Transfer tasks.")
    actions = task.add_subparsers(
        dest="action", metavar="ACTION", parser_class=CommandParser, required=True
    )
    task_list = actions.add_parser("list", prog="%globus task list")
    task_list.add_argument("--limit", type=int, default=25, metavar="N")
    task_list.add_argument(
        "--filter-status", action="append", default=[], metavar="STATUS"
    )
    task_list.add_argument("--filter-type", action="append", default=[], metavar="TYPE")
    task_list.add_argument("--filter-label", metavar="TEXT")
    task_list.add_argument(
        "--filter-task-id", action="append", default=[], metavar="TASK_ID"
    )
    task_list.add_argument(
        "--history",
        action="store_true",
        help="only tasks submitted from here (kept across kernel restarts)",
    )
    for name in ("show", "cancel", "event-list"):
        sub = actions.add_parser(name, prog=f"%globus task {name}")
        sub.add_argument("task_id", metavar="TASK_ID")
    wait = actions.add_parser("wait", prog="%globus task wait")
    wait.add_argument("task_id", metavar="TASK_ID")
    wait.add_argument("--timeout", type=float, metavar="SECONDS")
    progress = actions.add_parser(
        "progress",
        prog="%globus task progress",
        description="Show live progress of tasks; without ids, of the active tasks "
        "submitted from here.",
    )
    progress.add_argument("task_ids", nargs="*", metavar="TASK_ID")
    actions.add_parser(
        "board",
        prog="%globus task board",
        description="A live table of your tasks: details, events and cancel.",
    )
    parsers["task"] = task

    browse = _command(
        "browse", "Two collections side by side: navigate, select, transfer."
    )
    browse.add_argument("left", nargs="?", metavar="LEFT", help=_REFERENCE_HELP)
    browse.add_argument("right", nargs="?", metavar="RIGHT", help=_REFERENCE_HELP)
    parsers["browse"] = browse

    endpoint = _command("endpoint", "Find collections and endpoints.")
    endpoint_actions = endpoint.add_subparsers(
        dest="action", metavar="ACTION", parser_class=CommandParser, required=True
    )
    search = endpoint_actions.add_parser("search", prog="%globus endpoint search")
    search.add_argument("text", nargs="?", metavar="TEXT")
    search.add_argument(
        "--filter-scope",
        choices=(
            "all",
            "my-endpoints",
            "my-gcp-endpoints",
            "recently-used",
            "in-use",
            "shared-by-me",
            "shared-with-me",
        ),
    )
    search.add_argument("--limit", type=int, default=25, metavar="N")
    parsers["endpoint"] = endpoint

    bookmark = _command("bookmark", "Your Transfer bookmarks.")
    bookmark_actions = bookmark.add_subparsers(
        dest="action", metavar="ACTION", parser_class=CommandParser, required=True
    )
    bookmark_actions.add_parser("list", prog="%globus bookmark list")
    parsers["bookmark"] = bookmark

    alias = _command(
        "alias",
        "Name a collection (and a base path) for later references; without "
        "arguments, list the aliases.",
    )
    alias.add_argument("definition", nargs="?", metavar="NAME=COLLECTION[:PATH]")
    alias.add_argument("--remove", metavar="NAME")
    parsers["alias"] = alias


def _add_wait_options(parser: CommandParser) -> None:
    parser.add_argument(
        "--wait", action="store_true", help="block until the task is done"
    )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="with --wait, stop waiting"
    )


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
