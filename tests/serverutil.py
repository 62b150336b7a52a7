"""Start the real app under gunicorn on 127.0.0.1 for durability tests and benchmarks."""

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class GunicornServer:
    database_url: str
    workers: int = 4
    threads: int = 1  # > 1 runs gunicorn's gthread workers, as scripts/run.sh does (--threads 4)
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> GunicornServer:
        env = {**os.environ, "DATABASE_URL": self.database_url,
               "SECRET_KEY": "durability-test-secret", "OTKLIK_RATELIMIT_ENABLED": "false",
               "OTKLIK_QUARANTINE_ENABLED": "false",
               **self.extra_env}
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--threads", str(self.threads), "--graceful-timeout", "2", "--timeout", "60", *self.extra_args,
             "--preload", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        if not isinstance(log, int):  # not DEVNULL
            log.close()  # the child keeps its own descriptor
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
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
