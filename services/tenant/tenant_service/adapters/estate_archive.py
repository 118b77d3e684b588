"""The estate archive's format (``xinyi-estate-archive``, version 1; docs/estate-archive.md): a ZIP of
``manifest.json``, ``estate.json`` and one ``<table>.jsonl`` per table, each file named in the manifest
with its SHA-256 and number of records. Bytes in, bytes out: no database here."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tenant_service.adapters.estate_data import Archive

ARCHIVE_FORMAT = "xinyi-estate-archive"
ARCHIVE_VERSION = 1


def pack_archive(
    code: str,
    estate_row: Mapping[str, Any],
    tables: Mapping[str, list[dict[str, Any]]],
    exported_at: datetime,
    exported_by: str,
) -> Archive:
    """The archive of an estate: its row and its tables' rows (in ``tables``' order), with a new id."""
    files: dict[str, bytes] = {"estate.json": _json_bytes(dict(estate_row))}
    counts: dict[str, int] = {}
    for table, rows in tables.items():
        counts[table] = len(rows)
        files[f"{table}.jsonl"] = b"".join(_json_line(row) for row in rows)
    manifest = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "estate_code": code,
        "exported_at": exported_at.isoformat(),
        "exported_by": exported_by,
        "files": {
            name: {
                "sha256": hashlib.sha256(content).hexdigest(),
                "records": counts.get(name.removesuffix(".jsonl"), 1),
            }
            for name, content in files.items()
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", _json_bytes(manifest))
        for name, content in files.items():
            archive.writestr(name, content)
    content = buffer.getvalue()
    return Archive(uuid.uuid4(), hashlib.sha256(content).hexdigest(), len(content), content)


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_default, indent=2, sort_keys=True).encode()


def _json_line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=_json_default, sort_keys=True).encode() + b"\n"
