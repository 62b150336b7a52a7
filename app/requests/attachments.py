"""Attachment checks: the type is told by the file's first bytes, never by its name or the browser's MIME type.

A PNG renamed to ``.pdf`` is stored as the PNG it is (with a ``.png`` name); anything that is not a PDF,
JPEG or PNG by content is refused. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

# content type → (magic prefix, extension given to the stored name)
ALLOWED_TYPES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
}
FILENAME_MAX = 100
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the checks, ready to store."""

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def sniff_type(data: bytes) -> str | None:
    """The content type told by the file's first bytes, or None for anything but PDF, PNG and JPEG."""
    for content_type, (magic, _extension) in ALLOWED_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def safe_filename(name: str, content_type: str) -> str:
    """The client's file name without any path, control or shell-special characters, at most
    ``FILENAME_MAX`` characters, with the extension of the type found in the content."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = " ".join(_UNSAFE.sub(" ", stem).split()).strip(" .")
    extension = ALLOWED_TYPES[content_type][1]
    return (stem or "файл")[: FILENAME_MAX - len(extension)] + extension


def check_file(name: str, data: bytes, max_bytes: int) -> tuple[CheckedFile | None, str]:
    """(the checked file, "") or (None, a Russian reason naming the file) for one upload."""
    shown = (name or "файл").replace("\\", "/").rsplit("/", 1)[-1][:FILENAME_MAX]
    if not data:
        return None, f"Файл «{shown}» пустой."
    if len(data) > max_bytes:
        return None, f"Файл «{shown}» больше {format_megabytes(max_bytes)}."
    content_type = sniff_type(data)
    if content_type is None:
        return None, f"Файл «{shown}» не подходит: можно приложить только скан в формате ПДФ или фотографию."
    return CheckedFile(
        filename=safe_filename(name, content_type),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    ), ""


def format_megabytes(size: int) -> str:
    """«5 МБ», «1,5 МБ»: a limit as a customer reads it."""
    megabytes = size / (1024 * 1024)
    text = f"{megabytes:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} МБ"
