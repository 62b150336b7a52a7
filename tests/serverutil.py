"""Start the real app under gunicorn on 127.0.0.1 for durability tests and benchmarks.

The listening socket is bound here, in the test process, and handed to gunicorn (``--bind fd://N``):
picking a free port and binding it later would let another process (a parallel test worker) take it
in between. The test process keeps the socket, so a server killed and started again (crash tests)
listens on the same port without ever letting go of it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def bound_socket(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (port 0: the kernel picks a free one), inheritable by a child.

    It listens already, so a client that connects while gunicorn (re)starts waits in the backlog
    instead of being refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class GunicornServer:
    database_url: str
    workers: int = 4
    threads: int = 1  # > 1 runs gunicorn's gthread workers, as scripts/run.sh does (--threads 4)
    port: int = 0  # 0: the kernel picks a free port when the socket is bound
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    listener: socket.socket | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.listener = bound_socket(self.port)
        self.port = self.listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> GunicornServer:
        if self.listener is None:  # stopped before: bind again, on the same port if it is free
            self.listener = bound_socket(self.port)
        fd = self.listener.fileno()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "durability-test-secret",
            "OTKLIK_RATELIMIT_ENABLED": "false",
            "OTKLIK_QUARANTINE_ENABLED": "false",
            **self.extra_env,
        }
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "--bind",
                f"fd://{fd}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--graceful-timeout",
                "2",
                "--timeout",
                "60",
                *self.extra_args,
                "--preload",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
            pass_fds=(fd,),
        )
        if not isinstance(log, int):  # not DEVNULL
            log.close()  # the child keeps its own descriptor
        try:
            self._wait_until_ready(timeout)
        except RuntimeError:
            self.stop()  # no process or socket outlives a failed start
            raise
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        assert self.process is not None  # started just before
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not become ready")

    def kill(self) -> None:
        """SIGKILL the whole process group: master and workers die mid-request."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.listener is not None:
            self.listener.close()
            self.listener = None
