"""
Running the sandbox as a separate process, as tests, benchmarks and a JupyterLab
fixture do: the sandbox's work then never shares their interpreter lock.
"""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

_SERVING = re.compile(r"Globus sandbox serving at (http://127\.0\.0\.1:\d+/)\n")


class SandboxProcess:
    """
    ``python -m globus_jupyter.sandbox --root ROOT --port 0 ARGS...``, with the
    URL it prints on its first line.

    :param root: the sandbox's state directory
    :param args: more command-line options, e.g. ``("--remote-bandwidth", "1MiB")``
    """

    def __init__(self, root: Path | str, *args: str) -> None:
        command = [sys.executable, "-m", "globus_jupyter.sandbox"]
        command += ["--root", str(root), "--port", "0", *args]
        # this interpreter running this package: no outside input in the command
        self.process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = _SERVING.fullmatch(line)
        if match is None:
            self.stop()
            raise RuntimeError(f"the sandbox process started with {line!r}")
        self.url = match.group(1)

    def stop(self, *, kill: bool = False) -> None:
        """Terminate it (or kill it, as a crash would) and wait for it to end."""
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.stop()
