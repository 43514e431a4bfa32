"""
JupyterLab 4 and headless Chromium, against a sandbox started for the session.

The sandbox runs in its own process (``python -m globus_jupyter.sandbox``) and
JupyterLab's kernels find it through ``GLOBUS_JUPYTER_SANDBOX_URL``. Screenshots
go to ``test-artifacts/browser/``.

Without Chromium or Playwright the tests skip, saying why; where ``CI`` is set
they fail instead, because CI installs both.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from globus_jupyter.sandbox.process import SandboxProcess

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "browser"
NOTEBOOKS = (REPO / "notebooks", Path(__file__).resolve().parent / "notebooks")

#: slow enough that a transfer into "remote" is still running a few cells later
REMOTE_BANDWIDTH = "1MiB"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# JupyterLab's own settings for this run: every cell in the page (no windowing,
# so outputs far down a notebook can be found), and no news or update checks
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none"
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str) -> t.NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install playwright)")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[t.Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[str]:
    """A sandbox in its own process; its URL, read from the line it prints."""
    root = tmp_path_factory.mktemp("sandbox")
    with SandboxProcess(root, "--remote-bandwidth", REMOTE_BANDWIDTH) as sandbox:
        yield sandbox.url


def _lab_environment(data_dir: Path, home: Path, sandbox_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GLOBUS_", "JUPYTER", "IPYTHON"))
    }
    env.update(
        GLOBUS_JUPYTER_DATA_DIR=str(data_dir),
        GLOBUS_JUPYTER_ENVIRONMENT="globus-jupyter-sandbox",
        GLOBUS_JUPYTER_SANDBOX_URL=sandbox_url,
        GLOBUS_JUPYTER_POLL_INTERVAL="0.5",
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"),
        IPYTHONDIR=str(home / "ipython"),
    )
    return env


def _write_lab_settings(settings_dir: Path) -> None:
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _wait_for_lab(url: str, process: subprocess.Popen[t.Any], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}api/status", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def lab(
    chromium_path: Path, sandbox_url: str, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[str]:
    """JupyterLab serving a copy of the notebooks; its base URL."""
    root = tmp_path_factory.mktemp("notebooks")
    for folder in NOTEBOOKS:
        for notebook in folder.glob("*.ipynb"):
            shutil.copy(notebook, root / notebook.name)
    home = tmp_path_factory.mktemp("jupyter-home")
    _write_lab_settings(home / "lab-settings")
    env = _lab_environment(tmp_path_factory.mktemp("data"), home, sandbox_url)

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        # the extension manager would ask PyPI; tests talk to 127.0.0.1 only
        "--LabApp.extension_manager=readonly",
    ]
    if os.geteuid() == 0:  # CI containers run as root
        command.append("--allow-root")
    log = home / "lab.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    try:
        _wait_for_lab(url, process, log)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> t.Iterator[t.Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: t.Any, lab: str) -> t.Iterator[t.Any]:
    """A fresh browser tab; the kernels it started are shut down after."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(60_000)
    tab = context.new_page()
    yield tab
    context.close()
    _shut_down_kernels(lab)


def _shut_down_kernels(lab: str) -> None:
    """Delete every notebook session, with the XSRF cookie a browser would send."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    with opener.open(f"{lab}api/sessions", timeout=10) as answer:
        sessions = json.load(answer)
    with opener.open(f"{lab}lab", timeout=10):
        pass  # sets the _xsrf cookie
    xsrf = next((c.value for c in cookies if c.name == "_xsrf"), "")
    for session in sessions:
        request = urllib.request.Request(
            f"{lab}api/sessions/{session['id']}",
            method="DELETE",
            headers={"X-XSRFToken": xsrf or ""},
        )
        with opener.open(request, timeout=30):
            pass
