"""The ``%globus`` and ``%%globus`` magics."""

from __future__ import annotations

import argparse
import logging
import typing as t

from IPython.core.magic import Magics, line_cell_magic, magics_class
from traitlets import Bool, Float, Unicode, observe

from globus_jupyter import core
from globus_jupyter.core.errors import UsageProblem, describe_error
from globus_jupyter.core.session import SOURCE_DESCRIPTIONS

from .display import (
    GlobusCommandError,
    identity_line,
    kernel_stdin_prompt,
    show_message,
)
from .parser import HelpShown, build_parsers, overview, parse_line, split_line

log = logging.getLogger(__name__)

_COMMANDS_WITH_BODY = frozenset({"transfer"})

_SETTING_TRAITS = (
    "client_id",
    "environment",
    "token_sources",
    "data_dir",
    "sandbox_url",
)


@magics_class
class GlobusMagics(Magics):
    """Globus from the notebook; set options with ``%config GlobusMagics.NAME``."""

    client_id = Unicode(
        None,
        allow_none=True,
        help="Native app client id for logins to real Globus "
        "(default: GLOBUS_JUPYTER_CLIENT_ID).",
    ).tag(config=True)
    environment = Unicode(
        None,
        allow_none=True,
        help="globus-sdk environment name (default: GLOBUS_JUPYTER_ENVIRONMENT, "
        "else production).",
    ).tag(config=True)
    token_sources = Unicode(
        None,
        allow_none=True,
        help="Comma-separated token sources to try, in order "
        "(default: hub,client,stored,login).",
    ).tag(config=True)
    data_dir = Unicode(
        None,
        allow_none=True,
        help="Where tokens and sandbox state are kept (default: "
        "GLOBUS_JUPYTER_DATA_DIR, else ~/.local/share/globus-jupyter).",
    ).tag(config=True)
    sandbox_url = Unicode(
        None,
        allow_none=True,
        help="Base URL of a sandbox started elsewhere (default: "
        "GLOBUS_JUPYTER_SANDBOX_URL).",
    ).tag(config=True)
    short_errors = Bool(
        True, help="Show errors as one line; False shows full tracebacks."
    ).tag(config=True)
    poll_interval = Float(
        2.0, help="Seconds between progress updates of watched tasks."
    ).tag(config=True)

    def __init__(self, shell: t.Any = None, **kwargs: t.Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._parsers = build_parsers()

    @observe(*_SETTING_TRAITS)
    def _settings_changed(self, change: t.Any) -> None:
        # the next command builds a session from the new settings
        previous = core.use_session(None)
        if previous is not None:
            previous.close()

    def settings(self) -> core.Settings:
        from globus_jupyter.core.settings import parse_token_sources

        overrides: dict[str, t.Any] = {
            "client_id": self.client_id,
            "environment": self.environment,
            "sandbox_url": self.sandbox_url,
        }
        if self.token_sources:
            overrides["token_sources"] = parse_token_sources(self.token_sources)
        if self.data_dir:
            from pathlib import Path

            overrides["data_dir"] = Path(self.data_dir).expanduser()
        overrides["poll_interval"] = self.poll_interval
        return core.Settings.from_environ(**overrides)

    def session(self) -> core.Session:
        """The current session, made from this magic's settings if there is none."""
        current = core.session(factory=lambda: core.Session(self.settings()))
        if current.prompt is None:
            current.prompt = kernel_stdin_prompt
        return current

    @line_cell_magic
    def globus(self, line: str, cell: str | None = None) -> t.Any:
        """
        Use Globus from the notebook.

        Usage::

            %globus COMMAND [OPTIONS]
            %%globus COMMAND [OPTIONS] [--out NAME]

        Commands: login, logout, whoami, session, ls, stat, mkdir, rename, rm,
        transfer, task (list, show, wait, cancel, event-list, progress, board),
        browse, endpoint search, bookmark list, alias, sandbox (start, stop,
        status), help. ``%globus COMMAND --help`` shows a command's options.

        Examples::

            In [1]: %load_ext globus_jupyter
            In [2]: %globus login --sandbox
            Logged in as ada@sandbox.example.org (interactive login in this kernel).
            In [3]: me = %globus whoami
            In [4]: %globus alias home=<collection-uuid>:/~/
            In [5]: df = %globus ls home:data
            In [6]: %globus transfer home:data remote:/incoming -r --label raw
        """
        try:
            return self._run(line, cell)
        except HelpShown as shown:
            print(shown.text.rstrip())  # noqa: T201
            return None
        except Exception as error:
            message = describe_error(error)
            if message is None or not self.short_errors:
                raise
            log.debug("%%globus failed", exc_info=True)
            raise GlobusCommandError(message) from None

    # -- dispatch -----------------------------------------------------------------

    def _run(self, line: str, cell: str | None) -> t.Any:
        out_name: str | None = None
        if cell is not None:
            line, out_name = _take_out_option(line)
        command, args = parse_line(line, self._parsers)
        body = _cell_data(cell) if cell is not None else ""
        if body and command not in _COMMANDS_WITH_BODY:
            raise UsageProblem(
                f"%%globus {command} takes no cell body; expected the body to be "
                "empty or comments only"
            )
        args.body = body
        result = getattr(self, f"_do_{command.replace('-', '_')}")(args)
        if out_name is not None:
            assert self.shell is not None
            self.shell.user_ns[out_name] = result
            return None
        return result

    def _do_help(self, args: argparse.Namespace) -> None:
        if args.topic is None:
            print(overview())  # noqa: T201
            return
        if args.topic not in self._parsers:
            parse_line(args.topic, self._parsers)
        raise HelpShown(self._parsers[args.topic].format_help())

    def _do_login(self, args: argparse.Namespace) -> None:
        if args.sandbox_user and not args.sandbox:
            raise UsageProblem(
                "%globus login: --sandbox-user needs --sandbox; expected "
                "%globus login --sandbox --sandbox-user USERNAME"
            )
        if args.sandbox:
            session = core.sandbox_session(self.settings())
            session.prompt = kernel_stdin_prompt

            def approve(request: core.LoginRequest) -> str:
                return core.approve_in_sandbox(request, username=args.sandbox_user)

            identity = session.login(force=True, prompt=approve, scopes=args.scopes)
            # consents asked for later (e.g. a guarded collection) are approved
            # the same way: nobody has to build a scope string in a tutorial
            session.prompt = approve
        else:
            session = self.session()
            identity = session.login(force=args.force, scopes=args.scopes)
        source = SOURCE_DESCRIPTIONS.get(session.source, session.source)
        print(identity_line(identity.username, source))  # noqa: T201

    def _do_logout(self, args: argparse.Namespace) -> None:
        session = self.session()
        source = session.source
        removed = session.logout()
        if not removed:
            print("No tokens to remove; already logged out.")  # noqa: T201
        elif source == "hub":
            print(  # noqa: T201
                "Forgot the hub's tokens in this kernel (log out of JupyterHub to "
                "end the hub's login): " + ", ".join(removed)
            )
        else:
            print("Logged out; revoked tokens for " + ", ".join(removed))  # noqa: T201

    def _do_whoami(self, args: argparse.Namespace) -> t.Any:
        return self.session().whoami()

    def _do_session(self, args: argparse.Namespace) -> core.SessionInfo:
        return self.session().describe()

    # -- Transfer -----------------------------------------------------------------

    def _do_ls(self, args: argparse.Namespace) -> t.Any:
        return self.session().transfer.ls(
            args.reference,
            show_hidden=args.all,
            filter=args.filter,
            orderby=args.orderby,
            limit=args.limit,
        )

    def _do_stat(self, args: argparse.Namespace) -> t.Any:
        import pandas as pd

        details = self.session().transfer.stat(args.reference)
        return pd.Series(details, name=args.reference, dtype=object)

    def _do_mkdir(self, args: argparse.Namespace) -> None:
        print(self.session().transfer.mkdir(args.reference))  # noqa: T201

    def _do_rename(self, args: argparse.Namespace) -> None:
        message = self.session().transfer.rename(
            args.collection, args.source, args.destination
        )
        print(message)  # noqa: T201

    def _do_rm(self, args: argparse.Namespace) -> t.Any:
        task = self.session().transfer.rm(
            args.reference,
            recursive=args.recursive,
            label=args.label,
            ignore_missing=args.ignore_missing,
        )
        return self._follow(task, wait=args.wait, timeout=args.timeout)

    def _do_transfer(self, args: argparse.Namespace) -> t.Any:
        from globus_jupyter.core.transfer import BatchItem, TransferOptions

        options = TransferOptions(
            label=args.label,
            sync_level=args.sync_level,
            verify_checksum=args.verify_checksum,
            preserve_timestamp=args.preserve_timestamp,
            encrypt_data=args.encrypt_data,
            include=tuple(args.include),
            exclude=tuple(args.exclude),
            deadline=args.deadline,
            delete_destination_extra=args.delete_destination_extra,
            skip_source_errors=args.skip_source_errors,
            fail_on_quota_errors=args.fail_on_quota_errors,
        )
        if args.body:
            items = parse_batch(args.body)
        else:
            items = [BatchItem("", "", args.recursive)]
        service = self.session().transfer
        if args.dry_run:
            document = service.transfer_document(
                args.source, args.destination, items, options
            )
            return dict(document)
        task = service.submit(args.source, args.destination, items, options)
        return self._follow(task, wait=args.wait, timeout=args.timeout)

    def _follow(self, task: t.Any, *, wait: bool, timeout: float | None) -> t.Any:
        """Show a task's progress; with ``wait``, block until it is done."""
        view = progress_view(task)
        if not wait:
            return view
        if _has_widget_frontend():
            from IPython.display import display

            display(view)  # type: ignore[no-untyped-call]
        try:
            snapshot = task.wait(timeout=timeout)
        except KeyboardInterrupt:
            print(  # noqa: T201
                f"Stopped waiting; task {task.task_id} goes on "
                f"(%globus task wait {task.task_id})."
            )
            return None
        if snapshot is None or not snapshot.done:
            print(  # noqa: T201
                f"Task {task.task_id} is not done after {timeout} s; it goes on."
            )
        return task

    def _do_task(self, args: argparse.Namespace) -> t.Any:
        service = self.session().transfer
        if args.action == "list":
            return service.task_list(
                limit=args.limit,
                status=args.filter_status,
                type=args.filter_type,
                label=args.filter_label,
                task_ids=args.filter_task_id,
                history_only=args.history,
            )
        if args.action == "show":
            import pandas as pd

            document = service.task_show(args.task_id)
            return pd.Series(document, name=args.task_id, dtype=object)
        if args.action == "wait":
            return self._follow(
                service.task(args.task_id), wait=True, timeout=args.timeout
            )
        if args.action == "cancel":
            print(service.task_cancel(args.task_id))  # noqa: T201
            return None
        if args.action == "event-list":
            return service.task_events(args.task_id)
        if args.action == "board":
            from globus_jupyter.widgets.board import TaskBoard

            return TaskBoard(self.session())
        # progress: re-attach views to tasks, e.g. after a kernel restart
        task_ids = args.task_ids or _active_history_ids(service)
        if not task_ids:
            print("No active tasks submitted from here.")  # noqa: T201
            return None
        views = [progress_view(service.task(task_id)) for task_id in task_ids]
        if len(views) == 1:
            return views[0]
        from IPython.display import display

        for view in views:
            display(view)  # type: ignore[no-untyped-call]
        return None

    def _do_browse(self, args: argparse.Namespace) -> t.Any:
        from globus_jupyter.widgets.browser import FileBrowser

        return FileBrowser(self.session(), left=args.left, right=args.right)

    def _do_endpoint(self, args: argparse.Namespace) -> t.Any:
        return self.session().transfer.endpoint_search(
            args.text, scope=args.filter_scope, limit=args.limit
        )

    def _do_bookmark(self, args: argparse.Namespace) -> t.Any:
        return self.session().transfer.bookmark_list()

    def _do_alias(self, args: argparse.Namespace) -> t.Any:
        service = self.session().transfer
        if args.remove:
            service.remove_alias(args.remove)
            print(f"Removed alias {args.remove}.")  # noqa: T201
            return None
        if args.definition is None:
            return service.aliases_frame()
        name, sep, target = args.definition.partition("=")
        if not sep or not target:
            raise UsageProblem(
                f"{args.definition!r} is not an alias definition: expected "
                "NAME=COLLECTION[:PATH], e.g. home=<uuid>:/~/"
            )
        alias = service.set_alias(name.strip(), target.strip())
        where = (
            f"{alias.collection_id}:{alias.path}" if alias.path else alias.collection_id
        )
        print(f"{alias.name} = {where}")  # noqa: T201
        return None

    def _do_sandbox(self, args: argparse.Namespace) -> None:
        from globus_jupyter.core import local_sandbox

        if args.action == "start":
            sandbox = local_sandbox.start_sandbox(self.settings(), port=args.port)
            session = core.sandbox_session(self.settings())
            session.prompt = kernel_stdin_prompt
            show_message(
                f"Sandbox running at {sandbox.url} (state in {sandbox.root}); this "
                "kernel now uses it. %globus login --sandbox logs in without a code."
            )
        elif args.action == "stop":
            stopped = local_sandbox.stop_sandbox()
            previous = core.use_session(None)
            if previous is not None:
                previous.close()
            print("Sandbox stopped." if stopped else "No sandbox was running.")  # noqa: T201
        else:
            running = local_sandbox.running_sandbox()
            if running is None:
                print("No sandbox is running in this kernel.")  # noqa: T201
            else:
                users = ", ".join(user.username for user in running.users)
                print(  # noqa: T201
                    f"Sandbox running at {running.url}\nstate: {running.root}\n"
                    f"users: {users}"
                )


def _has_widget_frontend() -> bool:
    """True in a Jupyter kernel, where widgets can render; False in a terminal."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress_view(task: t.Any) -> t.Any:
    """A ``TaskProgress`` widget where widgets render, else a text bar."""
    if _has_widget_frontend():
        from globus_jupyter.widgets.progress import TaskProgress

        return TaskProgress(task)
    from globus_jupyter.widgets.text import TextProgress

    return TextProgress(task)


def _active_history_ids(service: t.Any) -> list[str]:
    frame = service.task_list(history_only=True, limit=100)
    active = frame[frame["status"].isin(["ACTIVE", "INACTIVE"])]
    return [str(task_id) for task_id in active["task_id"]]


def parse_batch(body: str) -> list[t.Any]:
    """
    Batch lines as globus-cli reads them: ``[--recursive] SOURCE_PATH DEST_PATH``.

    Paths are relative to the references on the magic line; blank lines and
    ``#`` comments are skipped.
    """
    from globus_jupyter.core.transfer import BatchItem

    items = []
    for number, line in enumerate(body.splitlines(), start=1):
        words = split_line(line)
        if not words or words[0].startswith("#"):
            continue
        recursive = False
        while words and words[0] in ("-r", "--recursive"):
            recursive = True
            words = words[1:]
        if len(words) != 2:
            raise UsageProblem(
                f"batch line {number} has {len(words)} path(s): expected "
                "[--recursive] SOURCE_PATH DEST_PATH"
            )
        items.append(BatchItem(words[0], words[1], recursive))
    return items


def _cell_data(cell: str) -> str:
    """A cell body without blank lines and ``#`` comments."""
    lines = [line for line in cell.splitlines() if line.strip()]
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def _take_out_option(line: str) -> tuple[str, str | None]:
    """Remove ``--out NAME`` from a cell magic's line."""
    words = split_line(line)
    if "--out" not in words:
        return line, None
    index = words.index("--out")
    if index + 1 >= len(words) or not words[index + 1].isidentifier():
        raise UsageProblem(
            "--out needs a name: expected %%globus COMMAND ... --out VARIABLE_NAME"
        )
    name = words[index + 1]
    rest = words[:index] + words[index + 2 :]
    import shlex

    return shlex.join(rest), name
