"""Gunicorn worker class: the sync worker with a response's header block and first body chunk sent together.

Gunicorn writes the status line and headers with one ``sendall`` and each body chunk with another, so a
small page leaves in two TCP segments: the client is woken twice, and the kernel does the loopback or
network work twice. Holding the header block until the first body chunk and sending both at once
halves that per-request work (docs/benchmarks.md: about a tenth of a survey page's server CPU).
Everything else is gunicorn's own sync worker: one request per connection, then close.

Use: ``gunicorn -k app.serving.CoalescingSyncWorker wsgi:app`` (scripts/run.sh and the load bench do).
"""

from __future__ import annotations

import socket
from typing import Any

from gunicorn.workers.sync import SyncWorker

# A larger first chunk is sent on its own: copying it to prepend the headers would cost more than a segment.
MERGE_LIMIT = 64 * 1024


class CoalescingSocket:
    """A client socket whose first ``sendall`` (gunicorn's header block) waits for the next write.

    Anything that could put bytes on the wire past the held block (``send``, ``sendfile``, the file
    descriptor itself, ``shutdown``, ``close``) sends the held block first, so the order on the wire
    is always the order of the calls.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._held: bytes | None = None
        self._first = True

    def sendall(self, data: bytes) -> None:
        if self._first:
            self._first = False
            self._held = bytes(data)
            return
        if self._held is not None:
            held, self._held = self._held, None
            if len(data) <= MERGE_LIMIT:
                self._sock.sendall(held + bytes(data))
                return
            self._sock.sendall(held)
        self._sock.sendall(data)

    def flush(self) -> None:
        """Send the held block now (no body follows, or bytes are about to bypass ``sendall``)."""
        self._first = False
        if self._held is not None:
            held, self._held = self._held, None
            self._sock.sendall(held)

    def send(self, data: bytes, *flags: int) -> int:
        self.flush()
        return self._sock.send(data, *flags)

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        self.flush()
        return self._sock.sendfile(file, offset, count)

    def fileno(self) -> int:
        self.flush()
        return self._sock.fileno()

    def shutdown(self, how: int) -> None:
        self.flush()
        self._sock.shutdown(how)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class CoalescingSyncWorker(SyncWorker):
    """Gunicorn's sync worker, writing through :class:`CoalescingSocket` (TLS connections unchanged)."""

    def handle(self, listener: socket.socket, client: socket.socket, addr: Any) -> None:
        if self.cfg.is_ssl:
            super().handle(listener, client, addr)
        else:
            super().handle(listener, CoalescingSocket(client), addr)
