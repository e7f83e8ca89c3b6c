"""Start JupyterLab for the browser test, isolated from the user's settings, and stop it for sure.

No Playwright here: `make unit` imports this module's neighbours without the e2e extra.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# What `make lab` puts on JUPYTER_CONFIG_PATH: nbgrader's menu, buttons and server extensions off.
STUDENT_LAB = Path(__file__).resolve().parents[2] / "student_lab"
# JupyterLab settings for the test only (written into a temporary settings folder):
# every cell stays in the page (no virtual scrolling), no news or update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every living process below `pid` (children, grandchildren, ...), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (field 2) may hold spaces; the parent id follows its ')'.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class LabServer:
    """A JupyterLab server started by `start_lab`; `stop()` is safe to call more than once."""

    process: subprocess.Popen
    url: str
    token: str
    log_path: Path

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM the server's process group (it shuts its kernels down), then SIGKILL leftovers.

        Kernels run in sessions of their own, so the server's descendants are collected
        first and killed by id if the server did not take them down with it.
        """
        if self.process.poll() is not None and not descendants(self.process.pid):
            return
        family = descendants(self.process.pid)
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and (
            self.process.poll() is None or any(map(alive, family))
        ):
            time.sleep(0.2)
        for pid in family:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


def start_lab(
    root_dir: Path,
    state_dir: Path,
    startup_timeout_s: float = 120.0,
    disabled_extensions: tuple[str, ...] = (),
    config_path: Path | None = STUDENT_LAB,
) -> LabServer:
    """JupyterLab from this interpreter's environment on a free loopback port, with a token.

    `root_dir` is what the file browser shows (a copy of the notebooks); `state_dir` receives
    the server's configuration, settings, workspaces and log, so nothing in the user's
    ~/.jupyter is read or written. `disabled_extensions` (front-end plugins, e.g. the widget
    manager "@jupyter-widgets/jupyterlab-manager") builds a deliberately broken JupyterLab.
    `config_path` goes on JUPYTER_CONFIG_PATH: the student's lab of `make lab` by default, None
    for a lab with every installed extension (the teacher's tools included).
    """
    port, token = free_loopback_port(), secrets.token_hex(16)
    settings_dir = state_dir / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        plugin, file_name = name.rsplit("/", 1)
        (settings_dir / plugin).mkdir(parents=True, exist_ok=True)
        (settings_dir / plugin / file_name).write_text(json.dumps(values))
    if disabled_extensions:
        (state_dir / "config" / "labconfig").mkdir(parents=True, exist_ok=True)
        (state_dir / "config" / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {name: True for name in disabled_extensions}})
        )
    env = dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        JUPYTER_CONFIG_DIR=str(state_dir / "config"),
        JUPYTER_CONFIG_PATH=str(config_path or ""),
        JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
        JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
        OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
    )
    log_path = state_dir / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:  # CI containers run as root; JupyterLab refuses that unless told
        command.append("--allow-root")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = LabServer(process, f"http://127.0.0.1:{port}", token, log_path)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {process.returncode}:\n{server.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2):
                    return server
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"JupyterLab did not answer within {startup_timeout_s:.0f} s:\n"
                        f"{server.log_tail()}"
                    ) from None
                time.sleep(0.5)
    except BaseException:
        server.stop()
        raise
