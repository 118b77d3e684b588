"""The S3 blob store against the running SeaweedFS (deploy/seaweedfs.sh): round trips, the same bytes
stored once, absent blobs, and bytes altered behind the store's back refused on reading."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.harness import PORTS, REPO_DIR
from xinyi_shared.blobs import MIB, BlobNotFound, BlobTampered, MediaType, S3BlobStore
from xinyi_shared.errors import InvalidInput, Unavailable

S3_CONFIG = json.loads((REPO_DIR / "deploy" / "seaweedfs" / "s3.json").read_text())
CREDENTIALS = S3_CONFIG["identities"][0]["credentials"][0]
ENDPOINT = f"http://127.0.0.1:{PORTS['SEAWEEDFS_S3_PORT']}"


def pdf_like(size: int, seed: bytes) -> bytes:
    """``size`` bytes starting as a PDF, the rest varying with ``seed`` so each test has its own blob."""
    header = b"%PDF-1.7\n%" + seed + b"\n"
    return header + os.urandom(size - len(header))


@pytest.fixture(scope="module")
def s3() -> Any:
    """A plain client, to look at and alter the objects behind the store's back."""
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=CREDENTIALS["accessKey"],
        aws_secret_access_key=CREDENTIALS["secretKey"],
        region_name="us-east-1",
    )


@pytest.fixture(scope="module")
def bucket(s3: Any) -> Iterator[str]:
    """A bucket of its own, so the test sees the store create it at first use; deleted afterwards,
    volumes and all (each bucket is a SeaweedFS collection with volumes of its own)."""
    name = f"xinyi-test-{uuid.uuid4().hex[:12]}"
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def store(bucket: str) -> S3BlobStore:
    return S3BlobStore(
        bucket=bucket,
        endpoint_url=ENDPOINT,
        access_key=CREDENTIALS["accessKey"],
        secret_key=CREDENTIALS["secretKey"],
    )


def test_put_then_get_returns_the_bytes_under_their_sha256(store: S3BlobStore, s3: Any, bucket: str) -> None:
    data = pdf_like(4096, b"round trip")
    blob = store.put(data)
    assert (blob.sha256, blob.size, blob.media_type) == (hashlib.sha256(data).hexdigest(), 4096, MediaType.PDF)
    assert store.get(blob.sha256) == data
    assert store.exists(blob.sha256) and store.verify(blob.sha256)

    head = s3.head_object(Bucket=bucket, Key=f"blobs/{blob.sha256}")
    assert head["ContentType"] == "application/pdf" and head["ContentLength"] == 4096


def test_the_same_bytes_give_the_same_blob_once(store: S3BlobStore, s3: Any, bucket: str) -> None:
    data = pdf_like(1024, b"twice")
    first = store.put(data)
    assert store.put(data) == first
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="blobs/")["Contents"]]
    assert keys.count(f"blobs/{first.sha256}") == 1


def test_a_missing_blob_is_not_found(store: S3BlobStore) -> None:
    absent = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    assert not store.exists(absent)
    with pytest.raises(BlobNotFound):
        store.get(absent)
    with pytest.raises(BlobNotFound):
        store.verify(absent)


def test_an_object_altered_in_the_bucket_is_refused(store: S3BlobStore, s3: Any, bucket: str) -> None:
    data = pdf_like(2048, b"tamper")
    blob = store.put(data)
    forged = pdf_like(2048, b"forged")
    s3.put_object(Bucket=bucket, Key=f"blobs/{blob.sha256}", Body=forged, ContentType="application/pdf")

    with pytest.raises(BlobTampered) as tampered:
        store.get(blob.sha256)
    assert blob.sha256 in tampered.value.reason
    assert tampered.value.actual == hashlib.sha256(forged).hexdigest()
    assert not store.verify(blob.sha256)

    assert store.put(data) == blob  # uploading the original again puts it back
    assert store.get(blob.sha256) == data


def test_a_five_mib_voucher_round_trips(store: S3BlobStore) -> None:
    data = pdf_like(5 * MIB, b"large")
    blob = store.put(data)
    assert blob.size == 5 * MIB
    assert store.get(blob.sha256) == data


def test_a_refused_upload_reaches_no_bucket(store: S3BlobStore) -> None:
    program = b"\x7fELF\x02\x01\x01" + os.urandom(64)
    with pytest.raises(InvalidInput, match="executable"):
        store.put(program)
    assert not store.exists(hashlib.sha256(program).hexdigest())


def test_a_store_created_again_finds_its_bucket(bucket: str, store: S3BlobStore) -> None:
    data = pdf_like(512, b"second client")
    store.put(data)
    again = S3BlobStore(
        bucket=bucket, endpoint_url=ENDPOINT, access_key=CREDENTIALS["accessKey"], secret_key=CREDENTIALS["secretKey"]
    )
    assert again.get(hashlib.sha256(data).hexdigest()) == data


def test_a_store_that_cannot_be_reached_is_unavailable() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    store = S3BlobStore(
        bucket="xinyi-nowhere", endpoint_url=f"http://127.0.0.1:{closed}", access_key="a", secret_key="b"
    )
    with pytest.raises(Unavailable) as unavailable:
        store.exists("a" * 64)
    assert unavailable.value.http_status == 503
