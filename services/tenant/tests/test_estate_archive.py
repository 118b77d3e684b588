"""The estate archive's format (docs/estate-archive.md), without a database."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import UTC, date, datetime

from tenant_service.adapters.estate_archive import ARCHIVE_FORMAT, ARCHIVE_VERSION, pack_archive
from tenant_service.adapters.estate_data import ESTATE_TABLES


def test_an_archive_lists_every_file_with_its_hash_and_records() -> None:
    household = uuid.uuid4()
    tables = {table: [] for table in reversed(ESTATE_TABLES)} | {
        "households": [{"id": household, "estate_code": "jinhe-lvzhou", "occupied_from": date(2024, 1, 31)}],
    }
    exported_at = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)

    archive = pack_archive("jinhe-lvzhou", {"estate_code": "jinhe-lvzhou"}, tables, exported_at, "platform-admin")

    assert archive.sha256 == hashlib.sha256(archive.content).hexdigest()
    assert archive.size_bytes == len(archive.content)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as unpacked:
        manifest = json.loads(unpacked.read("manifest.json"))
        files = {name: unpacked.read(name) for name in unpacked.namelist() if name != "manifest.json"}
    assert (manifest["format"], manifest["version"]) == (ARCHIVE_FORMAT, ARCHIVE_VERSION)
    assert (manifest["estate_code"], manifest["exported_by"]) == ("jinhe-lvzhou", "platform-admin")
    assert manifest["exported_at"] == "2026-05-20T08:00:00+00:00"
    assert set(files) == {"estate.json", *(f"{table}.jsonl" for table in ESTATE_TABLES)}
    for name, content in files.items():
        assert manifest["files"][name]["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["files"]["households.jsonl"]["records"] == 1
    assert manifest["files"]["estate.json"]["records"] == 1
    assert json.loads(files["households.jsonl"]) == {
        "estate_code": "jinhe-lvzhou",
        "id": str(household),
        "occupied_from": "2024-01-31",
    }
