"""A file as a multipart/form-data body, streamed in chunks so a progress bar can follow the upload."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 64 * 1024
CONTENT_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def content_type_of(path: Path) -> str | None:
    """The content type the tenant service accepts for this file, by its extension; None if it accepts none."""
    return CONTENT_TYPES.get(path.suffix.lower())


def _quoted(value: str) -> str:
    """A form-data parameter value, escaped as browsers do (WHATWG HTML multipart/form-data encoding)."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@dataclass(frozen=True)
class MultipartFile:
    """One file field; `length` is the exact body size, so the request carries a Content-Length."""

    path: Path
    field: str
    file_content_type: str
    boundary: str
    file_size: int

    @classmethod
    def of(cls, path: Path, *, field: str, content_type: str, boundary: str | None = None) -> MultipartFile:
        return cls(path, field, content_type, boundary or uuid.uuid4().hex, path.stat().st_size)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def _head(self) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quoted(self.field)}"; filename="{_quoted(self.path.name)}"\r\n'
            f"Content-Type: {self.file_content_type}\r\n\r\n"
        ).encode()

    @property
    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def length(self) -> int:
        return len(self._head) + self.file_size + len(self._tail)

    def chunks(self, on_sent: Callable[[int], None] = lambda _: None) -> Iterator[bytes]:
        """The body; `on_sent(n)` is called once each file chunk of n bytes has been taken by the transport."""
        yield self._head
        with self.path.open("rb") as file:
            while chunk := file.read(CHUNK_SIZE):
                yield chunk
                on_sent(len(chunk))
        yield self._tail
