"""The coalescing socket of the gunicorn worker (app/serving.py), on a real socket pair."""

from __future__ import annotations

import socket
import tempfile

import pytest

from app.serving import MERGE_LIMIT, CoalescingSocket


class RecordingSocket:
    """A real connected socket that also records each write call, to count what went out in one call."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.calls: list[tuple[str, bytes | int]] = []

    def sendall(self, data: bytes) -> None:
        self.calls.append(("sendall", bytes(data)))
        self.sock.sendall(data)

    def send(self, data: bytes, *flags: int) -> int:
        self.calls.append(("send", bytes(data)))
        return self.sock.send(data, *flags)

    def sendfile(self, file, offset: int = 0, count: int | None = None) -> int:
        self.calls.append(("sendfile", count or 0))
        return self.sock.sendfile(file, offset, count)

    def fileno(self) -> int:
        return self.sock.fileno()

    def shutdown(self, how: int) -> None:
        self.sock.shutdown(how)

    def close(self) -> None:
        self.sock.close()

    def getsockname(self):
        return self.sock.getsockname()


@pytest.fixture()
def pair():
    left, right = socket.socketpair()
    recording = RecordingSocket(left)
    yield CoalescingSocket(recording), recording, right
    left.close()
    right.close()


def received(peer: socket.socket) -> bytes:
    chunks = []
    while chunk := peer.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_headers_and_first_chunk_leave_in_one_write(pair):
    wrapped, recording, peer = pair
    wrapped.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    assert recording.calls == []  # held until the body
    wrapped.sendall(b"<html>")
    wrapped.sendall(b"</html>")
    wrapped.close()
    assert recording.calls == [("sendall", b"HTTP/1.1 200 OK\r\n\r\n<html>"), ("sendall", b"</html>")]
    assert received(peer) == b"HTTP/1.1 200 OK\r\n\r\n<html></html>"


def test_headers_only_response_is_sent_on_close(pair):
    wrapped, recording, peer = pair
    wrapped.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
    wrapped.close()
    assert recording.calls == [("sendall", b"HTTP/1.1 204 No Content\r\n\r\n")]
    assert received(peer) == b"HTTP/1.1 204 No Content\r\n\r\n"


def test_large_first_chunk_is_not_copied(pair):
    wrapped, recording, peer = pair
    body = b"x" * (MERGE_LIMIT + 1)
    wrapped.sendall(b"HEAD\r\n\r\n")
    wrapped.sendall(body)
    assert [call[1] for call in recording.calls] == [b"HEAD\r\n\r\n", body]
    wrapped.close()
    assert received(peer) == b"HEAD\r\n\r\n" + body


def test_sendfile_and_send_keep_the_order_on_the_wire(pair):
    wrapped, recording, peer = pair
    with tempfile.TemporaryFile() as file:
        file.write(b"file body")
        file.seek(0)
        wrapped.sendall(b"headers|")
        wrapped.sendfile(file, 0, 9)
    wrapped.send(b"|tail")
    wrapped.close()
    assert [name for name, _ in recording.calls] == ["sendall", "sendfile", "send"]
    assert received(peer) == b"headers|file body|tail"


def test_file_descriptor_and_shutdown_flush_first(pair):
    wrapped, recording, peer = pair
    wrapped.sendall(b"held")
    wrapped.fileno()  # os.sendfile or any raw use of the descriptor could follow
    assert recording.calls == [("sendall", b"held")]
    wrapped.sendall(b"next")
    wrapped.shutdown(socket.SHUT_WR)
    assert received(peer) == b"heldnext"


def test_other_attributes_are_the_socket_s(pair):
    wrapped, recording, _peer = pair
    assert wrapped.getsockname() == recording.getsockname()
