"""
``%globus`` command lines in a real IPython shell: help, and one-line errors.

None of these lines gets as far as a session, so nothing talks to Globus.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import textwrap
import typing as t

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from globus_jupyter.core.errors import UsageProblem
from globus_jupyter.magics.display import GlobusCommandError
from globus_jupyter.magics.parser import COMMANDS, build_parsers, parse_line

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class Ran(t.NamedTuple):
    output: str
    error: BaseException | None


@pytest.fixture(scope="module")
def shell(tmp_path_factory) -> t.Iterator[InteractiveShell]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
        InteractiveShell.clear_instance()
        config = Config()
        config.HistoryManager.enabled = False
        ip = InteractiveShell.instance(config=config)
        ip.run_line_magic("load_ext", "globus_jupyter")
        yield ip
        ip.run_line_magic("unload_ext", "globus_jupyter")
        InteractiveShell.clear_instance()


@pytest.fixture
def run(shell) -> t.Iterator[t.Callable[[str], Ran]]:
    """Run a cell as a user would and return what they see, without colours."""

    def run_cell(source: str) -> Ran:
        with capture_output() as captured:
            result = shell.run_cell(source)
        seen = _ANSI_ESCAPE.sub("", captured.stdout + captured.stderr)
        return Ran(seen.strip(), result.error_in_exec)

    yield run_cell
    shell.run_line_magic("config", "GlobusMagics.short_errors = True")


# -- one-line errors -------------------------------------------------------------------


def test_an_unknown_command_is_one_line_naming_the_expected_commands(run):
    ran = run("%globus nosuchcommand")

    assert isinstance(ran.error, GlobusCommandError)
    assert ran.output.splitlines() == [
        "GlobusCommandError: unknown command 'nosuchcommand': expected one of "
        + ", ".join(COMMANDS)
        + " (see %globus help)"
    ]
    assert {"login", "ls", "transfer", "task", "help"} <= set(COMMANDS)
    assert "Traceback" not in ran.output


def test_an_unknown_option_is_one_line_with_the_usage(run):
    ran = run("%globus login --bogus")

    assert isinstance(ran.error, GlobusCommandError)
    assert len(ran.output.splitlines()) == 1
    assert "--bogus" in ran.output
    assert "expected: %globus login [-h] [--sandbox]" in ran.output
    assert "Traceback" not in ran.output


def test_a_cell_body_for_a_command_that_takes_none_is_one_line(run):
    ran = run("%%globus whoami --out x\nada@university.example.org\n")

    assert isinstance(ran.error, GlobusCommandError)
    assert ran.output.splitlines() == [
        "GlobusCommandError: %%globus whoami takes no cell body; expected the "
        "body to be empty or comments only"
    ]


def test_an_unclosed_quote_is_one_line(run):
    ran = run(
        "%globus login --scope 'urn:globus:auth:scope:transfer.api.globus.org:all"
    )

    assert isinstance(ran.error, GlobusCommandError)
    assert len(ran.output.splitlines()) == 1
    assert "quotes closed" in ran.output


def test_sandbox_user_without_sandbox_is_one_line(run):
    ran = run("%globus login --sandbox-user grace")

    assert isinstance(ran.error, GlobusCommandError)
    assert ran.output.splitlines() == [
        "GlobusCommandError: %globus login: --sandbox-user needs --sandbox; "
        "expected %globus login --sandbox --sandbox-user USERNAME"
    ]


def test_an_out_option_without_a_name_is_one_line(run):
    ran = run("%%globus session --out\nbody\n")

    assert isinstance(ran.error, GlobusCommandError)
    assert ran.output.splitlines() == [
        "GlobusCommandError: --out needs a name: expected %%globus COMMAND ... "
        "--out VARIABLE_NAME"
    ]


def test_without_short_errors_a_bad_line_shows_the_full_traceback(run):
    run("%config GlobusMagics.short_errors = False")

    ran = run("%globus nosuchcommand")

    assert isinstance(ran.error, UsageProblem)
    assert "Traceback" in ran.output
    assert "unknown command 'nosuchcommand'" in ran.output
    assert len(ran.output.splitlines()) > 1


# -- help ------------------------------------------------------------------------------


def test_help_lists_every_command(run):
    ran = run("%globus help")

    assert ran.error is None
    assert ran.output.startswith("usage: %globus COMMAND [OPTIONS]")
    commands_section = ran.output.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    listed = [line.split()[0] for line in commands_section.splitlines()]
    assert listed == list(COMMANDS)


def test_a_bare_globus_shows_the_help(run):
    ran = run("%globus")

    assert ran.error is None
    assert ran.output.startswith("usage: %globus COMMAND [OPTIONS]")


def test_a_command_help_shows_its_options(run):
    ran = run("%globus login --help")

    assert ran.error is None
    assert ran.output.startswith("usage: %globus login")
    for option in ("--sandbox", "--sandbox-user USERNAME", "--force", "--scope SCOPE"):
        assert option in ran.output


def test_help_for_a_command_is_the_same_as_its_help_option(run):
    assert run("%globus help login") == run("%globus login --help")


def test_help_for_an_unknown_command_is_one_line(run):
    ran = run("%globus help lss")

    assert isinstance(ran.error, GlobusCommandError)
    assert len(ran.output.splitlines()) == 1
    assert "unknown command 'lss'" in ran.output


# -- parsing without a shell -----------------------------------------------------------


def test_parse_line_reads_repeated_scopes_in_order():
    command, args = parse_line("login --sandbox --scope a --scope b", build_parsers())

    assert command == "login"
    assert args == argparse.Namespace(
        sandbox=True, sandbox_user=None, force=False, scopes=["a", "b"]
    )


def test_parse_line_keeps_a_quoted_value_whole():
    command, args = parse_line(
        "login --scope 'urn:a:b[https://x.example.org/y z]'", build_parsers()
    )

    assert command == "login"
    assert args.scopes == ["urn:a:b[https://x.example.org/y z]"]


def test_parse_line_refuses_a_bad_choice_with_one_line():
    with pytest.raises(UsageProblem) as caught:
        parse_line("sandbox restart", build_parsers())

    message = str(caught.value)
    assert "\n" not in message
    assert "'restart'" in message
    assert "expected: %globus sandbox" in message


# -- loading stays light ---------------------------------------------------------------


def test_loading_the_extension_imports_no_pandas_widgets_or_sandbox(tmp_path):
    script = textwrap.dedent(
        """
        import json, sys
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        config.HistoryManager.enabled = False
        shell = InteractiveShell.instance(config=config)
        shell.run_line_magic("load_ext", "globus_jupyter")
        print(json.dumps({
            "magic": "globus" in shell.magics_manager.magics["line"],
            "imported": [
                name
                for name in ("pandas", "ipywidgets", "globus_jupyter.sandbox")
                if name in sys.modules
            ],
        }))
        """
    )

    finished = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={
            "HOME": str(tmp_path),
            "IPYTHONDIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
    )

    loaded = json.loads(finished.stdout.strip().splitlines()[-1])
    assert loaded == {"magic": True, "imported": []}
