"""Uploaded files (vouchers 凭证 now, ticket photos next), stored under the SHA-256 of their bytes.

A blob's name is the hex SHA-256 of its content, so storing the same bytes twice gives the same blob,
and bytes altered where they are kept no longer hash to their name: ``get`` refuses them.

What is accepted is decided from the bytes themselves (magic numbers), never from a file name or a
client's Content-Type: PDF, PNG, JPEG and WebP (HEIC on request, for photos). Executables and
archives are refused by name; refusals are ``InvalidInput``, so the HTTP layer answers 422.

Two stores: ``FilesystemBlobStore`` (the default of ``make up``) and ``S3BlobStore`` (any
S3-compatible service; SeaweedFS in development, see deploy/seaweedfs.sh)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
import threading
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore import exceptions as botocore_errors
from botocore.config import Config
from botocore.exceptions import ClientError

from xinyi_shared.errors import InvalidInput, NotFound, Unavailable, XinyiError

if TYPE_CHECKING:
    from xinyi_shared.settings import ServiceSettings

MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 10 * MIB


class MediaType(StrEnum):
    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    WEBP = "image/webp"
    HEIC = "image/heic"


LABELS = {
    MediaType.PDF: "PDF",
    MediaType.PNG: "PNG",
    MediaType.JPEG: "JPEG",
    MediaType.WEBP: "WebP",
    MediaType.HEIC: "HEIC",
}
# HEIC is what phones take photos in, but few browsers show it: a caller opts in with ``allowed``.
DEFAULT_ALLOWED = frozenset({MediaType.PDF, MediaType.PNG, MediaType.JPEG, MediaType.WEBP})

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(NotFound):
    def __init__(self, sha256: str) -> None:
        super().__init__(f"no stored file {sha256}", {"sha256": sha256})
        self.sha256 = sha256


class BlobTampered(XinyiError):
    """The stored bytes no longer hash to the blob's name: altered or damaged where they are kept."""

    code = "blob_tampered"

    def __init__(self, sha256: str, actual: str) -> None:
        super().__init__(
            f"stored file {sha256} has been altered: its bytes now hash to {actual}",
            {"sha256": sha256, "actual_sha256": actual},
        )
        self.sha256 = sha256
        self.actual = actual


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    media_type: MediaType


class BlobStore(Protocol):
    def put(
        self, data: bytes, *, allowed: frozenset[MediaType] | None = None, max_bytes: int | None = None
    ) -> StoredBlob:
        """Checks and stores ``data``; the same bytes give the same blob (``allowed`` defaults to
        ``DEFAULT_ALLOWED``, ``max_bytes`` to the store's limit)."""
        ...

    def get(self, sha256: str) -> bytes:
        """The blob's bytes; ``BlobNotFound`` when absent, ``BlobTampered`` when they were altered."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def verify(self, sha256: str) -> bool:
        """True when the stored bytes still hash to their name; ``BlobNotFound`` when absent."""
        ...


# ---------------------------------------------------------------- what the bytes are

NOT_ACCEPTED_EXECUTABLE = "an executable is not accepted as a voucher/photo"


def _executable_kind(data: bytes) -> str | None:
    """What kind of program ``data`` is, or None. Zip archives count: jars and APKs are zips."""
    head = data[:8]
    if head.startswith(b"\x7fELF"):
        return "an ELF program"
    if head.startswith(b"MZ"):
        return "a Windows PE program"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        return "a Mach-O program"
    if head[:4] == b"\xca\xfe\xba\xbe":
        # Shared by Java classes and universal Mach-O binaries: a class file's version (≥ 45) follows,
        # where a universal binary has its small count of architectures.
        if len(data) >= 8 and int.from_bytes(data[4:8], "big") < 45:
            return "a universal Mach-O program"
        return "a Java class"
    if head.startswith(b"#!"):
        return "a #! script"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "a zip archive, the form of jars and APKs"
    if head.startswith(b"\x00asm"):
        return "a WebAssembly module"
    return None


def _png_is_sane(data: bytes) -> bool:
    # The first chunk must be a 13-byte IHDR whose CRC matches: a PNG decoder refuses anything else.
    if len(data) < 33:
        return False
    length = int.from_bytes(data[8:12], "big")
    crc = int.from_bytes(data[29:33], "big")
    return length == 13 and data[12:16] == b"IHDR" and zlib.crc32(data[12:29]) == crc


def _jpeg_is_sane(data: bytes) -> bool:
    # An end-of-image marker must follow; data after it (maker notes, phones' extras) is common.
    return b"\xff\xd9" in data[3:]


def _webp_is_sane(data: bytes) -> bool:
    return data[12:16] in (b"VP8 ", b"VP8L", b"VP8X")


HEIC_BRANDS = (b"heic", b"heix", b"mif1")


def _recognised(data: bytes) -> MediaType | None:
    if data.startswith(b"%PDF-"):
        return MediaType.PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return MediaType.WEBP
    if data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return MediaType.HEIC
    return None


_SANE = {MediaType.PNG: _png_is_sane, MediaType.JPEG: _jpeg_is_sane, MediaType.WEBP: _webp_is_sane}


def _accepted_list(allowed: frozenset[MediaType]) -> str:
    return ", ".join(LABELS[media_type] for media_type in MediaType if media_type in allowed)


def detect_media_type(data: bytes, allowed: frozenset[MediaType] = DEFAULT_ALLOWED) -> MediaType:
    """The media type of ``data`` read from its bytes, or ``InvalidInput`` saying what it is instead."""
    if not data:
        raise InvalidInput("the file is empty")
    executable = _executable_kind(data)
    if executable:
        raise InvalidInput(f"{NOT_ACCEPTED_EXECUTABLE} (this is {executable})", {"detected": executable})
    media_type = _recognised(data)
    if media_type is None:
        raise InvalidInput(f"unrecognised file type; accepted: {_accepted_list(allowed)}")
    label = LABELS[media_type]
    if media_type not in allowed:
        raise InvalidInput(f"a {label} file is not accepted here; accepted: {_accepted_list(allowed)}")
    sane = _SANE.get(media_type)
    if sane and not sane(data):
        raise InvalidInput(f"the file starts like a {label} but is damaged or incomplete")
    return media_type


def inspect_upload(data: bytes, allowed: frozenset[MediaType] | None, max_bytes: int) -> StoredBlob:
    """What ``data`` would be stored as, after every check a store makes before writing it."""
    if len(data) > max_bytes:
        raise InvalidInput(
            f"the file is {len(data) / MIB:.1f} MiB; at most {max_bytes / MIB:g} MiB ({max_bytes} bytes) is accepted",
            {"size": len(data), "max_bytes": max_bytes},
        )
    media_type = detect_media_type(data, DEFAULT_ALLOWED if allowed is None else allowed)
    return StoredBlob(sha256=hashlib.sha256(data).hexdigest(), size=len(data), media_type=media_type)


def checked_name(sha256: str) -> str:
    """``sha256`` if it is a blob name (64 lowercase hex digits): it becomes a path or an S3 key."""
    if not _SHA256_HEX.fullmatch(sha256):
        raise InvalidInput("a stored file is named by 64 lowercase hexadecimal digits (its SHA-256)")
    return sha256


def _actual_hash(sha256: str, data: bytes) -> str | None:
    """The hash of ``data`` when it is not ``sha256``; None when the bytes are intact."""
    actual = hashlib.sha256(data).hexdigest()
    return None if actual == sha256 else actual


# ---------------------------------------------------------------- filesystem


class FilesystemBlobStore:
    """Blobs as files ``root/ab/cd/<sha256>``; each written whole or not at all (temp file, fsync, rename)."""

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _path(self, sha256: str) -> Path:
        name = checked_name(sha256)
        return self.root / name[:2] / name[2:4] / name

    def put(
        self, data: bytes, *, allowed: frozenset[MediaType] | None = None, max_bytes: int | None = None
    ) -> StoredBlob:
        blob = inspect_upload(data, allowed, self.max_bytes if max_bytes is None else max_bytes)
        path = self._path(blob.sha256)
        # Already there and intact: nothing to write. Altered: the upload puts the right bytes back.
        if path.is_file() and _actual_hash(blob.sha256, path.read_bytes()) is None:
            return blob
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp makes the file readable by its owner only: vouchers carry personal data.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{blob.sha256[:8]}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)  # so the rename itself survives a crash
        return blob

    def _read(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def get(self, sha256: str) -> bytes:
        data = self._read(sha256)
        actual = _actual_hash(sha256, data)
        if actual:
            raise BlobTampered(sha256, actual)
        return data

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def verify(self, sha256: str) -> bool:
        return _actual_hash(sha256, self._read(sha256)) is None


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------- S3


class S3BlobStore:
    """Blobs as objects ``blobs/<sha256>`` of one bucket, created at first use if missing."""

    KEY_PREFIX = "blobs/"

    def __init__(
        self,
        bucket: str,
        endpoint_url: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_attempts: int = 4,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self.max_bytes = max_bytes
        config = Config(
            region_name=region,
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # "standard" retries throttling, 5xx and dropped connections with backoff.
            retries={"mode": "standard", "max_attempts": max_attempts},
            # Path-style addressing: S3-compatible services on a plain host:port have no bucket subdomains.
            s3={"addressing_style": "path"},
            # botocore ≥ 1.36 adds CRC32 checksums to every request by default, which S3-compatible
            # services do not all understand; put() sends its own SHA-256 checksum instead.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def key(self, sha256: str) -> str:
        return f"{self.KEY_PREFIX}{checked_name(sha256)}"

    def _call(self, operation: str, **arguments: Any) -> Any:
        """One S3 request; a service unreachable or failing still after the retries is ``Unavailable``."""
        try:
            return getattr(self._client, operation)(**arguments)
        except (botocore_errors.ConnectionError, botocore_errors.HTTPClientError) as error:
            raise Unavailable("the file store cannot be reached; try again later") from error
        except ClientError as error:
            if _status(error) >= 500:
                raise Unavailable("the file store failed; try again later") from error
            raise

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            try:
                self._call("head_bucket", Bucket=self.bucket)
            except ClientError as error:
                if _status(error) != 404:
                    raise
                self._create_bucket()
            self._bucket_ready = True

    def _create_bucket(self) -> None:
        arguments: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":  # S3 refuses a location constraint naming its default region
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._call("create_bucket", **arguments)
        except ClientError as error:
            # Another process created it between our look and our request.
            if _code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def put(
        self, data: bytes, *, allowed: frozenset[MediaType] | None = None, max_bytes: int | None = None
    ) -> StoredBlob:
        blob = inspect_upload(data, allowed, self.max_bytes if max_bytes is None else max_bytes)
        self._ensure_bucket()
        # Writing the same bytes again is harmless, and puts back an object that was altered.
        self._call(
            "put_object",
            Bucket=self.bucket,
            Key=self.key(blob.sha256),
            Body=data,
            ContentType=blob.media_type.value,
            # The service checks what it received against this (bytes damaged on the way are refused).
            ChecksumSHA256=base64.b64encode(bytes.fromhex(blob.sha256)).decode("ascii"),
        )
        return blob

    def _read(self, sha256: str) -> bytes:
        key = self.key(sha256)
        self._ensure_bucket()
        try:
            response = self._call("get_object", Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in ("NoSuchKey", "404") or _status(error) == 404:
                raise BlobNotFound(sha256) from None
            raise
        data: bytes = response["Body"].read()
        return data

    def get(self, sha256: str) -> bytes:
        data = self._read(sha256)
        actual = _actual_hash(sha256, data)
        if actual:
            raise BlobTampered(sha256, actual)
        return data

    def exists(self, sha256: str) -> bool:
        key = self.key(sha256)
        self._ensure_bucket()
        try:
            self._call("head_object", Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                return False
            raise
        return True

    def verify(self, sha256: str) -> bool:
        return _actual_hash(sha256, self._read(sha256)) is None


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


# ---------------------------------------------------------------- from settings


def blob_store_from_settings(settings: ServiceSettings) -> BlobStore:
    """The store ``settings`` name (``XINYI_BLOB_BACKEND``): a folder, or an S3 bucket."""
    if settings.blob_backend == "s3":
        return S3BlobStore(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            region=settings.s3_region,
            max_bytes=settings.blob_max_bytes,
        )
    return FilesystemBlobStore(Path(settings.blob_dir), max_bytes=settings.blob_max_bytes)
