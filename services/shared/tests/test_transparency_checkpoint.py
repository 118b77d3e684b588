"""Checkpoints (C2SP tlog-checkpoint) and witness cosignatures (C2SP tlog-cosignature, cosignature/v1):
the exact bytes, parsing, the log's signature, and the witness's cosignature with its timestamp."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest

from xinyi_shared.transparency.checkpoint import (
    Checkpoint,
    MalformedCheckpointError,
    checkpoint_of,
    cosign,
    estate_log_origin,
    estate_of_origin,
    generate_witness_key,
    open_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from xinyi_shared.transparency.merkle import EMPTY_ROOT
from xinyi_shared.transparency.note import (
    InvalidSignatureError,
    MalformedKeyError,
    Signer,
    UnverifiedNoteError,
    add_signature_line,
    generate_signer_key,
    open_note,
    parse_signer_key,
)

ORIGIN = "ledger.xinyi.example/estates/jinhe-lvzhou"
ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture(scope="module")
def log_signer() -> Signer:
    return parse_signer_key(generate_signer_key(ORIGIN))


@pytest.fixture(scope="module")
def witness() -> Signer:
    return parse_signer_key(generate_witness_key("supervisor.jinhe-lvzhou/witness"))


def test_the_body_is_origin_size_and_base64_root_each_on_a_line() -> None:
    checkpoint = Checkpoint(ORIGIN, 20852163, ROOT)
    assert checkpoint.body() == f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    assert Checkpoint.parse(checkpoint.body()) == checkpoint
    with_extension = Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("period 2026-11",))
    assert with_extension.body().endswith("\nperiod 2026-11\n")
    assert Checkpoint.parse(with_extension.body()) == with_extension


def test_the_c2sp_example_body_parses() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(body)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.body() == body


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n12\n",  # no root
        f"{ORIGIN}\n012\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n１２\n{base64.b64encode(ROOT).decode()}\n",  # full-width digits
        f"{ORIGIN}\n12\n{base64.b64encode(ROOT[:31]).decode()}\n",  # 31 bytes
        f"{ORIGIN}\n12\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",  # unpadded
        f"{ORIGIN}\n12\n{base64.b64encode(ROOT).decode()}\n\n",  # empty extension line
        f"{ORIGIN}\n12\n{base64.b64encode(ROOT).decode()}",  # no final newline
        f"\n12\n{base64.b64encode(ROOT).decode()}\n",  # empty origin
    ],
)
def test_malformed_bodies_are_refused(body: str) -> None:
    with pytest.raises(MalformedCheckpointError):
        Checkpoint.parse(body)


def test_the_log_signs_and_anyone_with_its_key_opens(log_signer: Signer) -> None:
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)
    note = sign_checkpoint(checkpoint, log_signer)
    assert note.startswith(checkpoint.body() + "\n— " + ORIGIN + " ")
    assert open_checkpoint(note, log_signer.vkey) == checkpoint
    assert checkpoint_of(note) == checkpoint


def test_a_checkpoint_must_name_the_log_that_signs_it(log_signer: Signer) -> None:
    with pytest.raises(ValueError, match="origin"):
        sign_checkpoint(Checkpoint("another.example/log", 1, ROOT), log_signer)
    other = parse_signer_key(generate_signer_key("another.example/log"))
    note = add_signature_line(
        sign_checkpoint(Checkpoint("another.example/log", 1, ROOT), other), "— x.example AAAAAAAA"
    )
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(note, log_signer.vkey)


def test_an_altered_checkpoint_does_not_open(log_signer: Signer) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), log_signer)
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(note.replace("\n42\n", "\n43\n"), log_signer.vkey)


def test_the_witness_cosigns_with_a_timestamp(log_signer: Signer, witness: Signer) -> None:
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)
    note = sign_checkpoint(checkpoint, log_signer)
    line = cosign(note, witness, 1_764_460_800)
    assert line.startswith("— supervisor.jinhe-lvzhou/witness ")
    raw = base64.b64decode(line.rsplit(" ", 1)[1])
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == witness.key_id.to_bytes(4, "big")
    assert struct.unpack(">Q", raw[4:12]) == (1_764_460_800,)
    message = b"cosignature/v1\ntime 1764460800\n" + checkpoint.body().encode()
    assert witness.verifier.verify(message, raw[12:])

    cosigned = add_signature_line(note, line)
    found = verify_cosignature(cosigned, witness.vkey)
    assert (found.witness, found.timestamp) == (witness.verifier, 1_764_460_800)
    assert open_checkpoint(cosigned, log_signer.vkey) == checkpoint  # the log's key ignores the cosignature
    both = open_note(cosigned, [log_signer.verifier, witness.verifier])
    assert [s.timestamp for s in both.verified] == [0, 1_764_460_800]


def test_the_witness_key_id_uses_signature_type_4(witness: Signer) -> None:
    public = witness.verifier.public_key
    digest = hashlib.sha256(witness.name.encode() + b"\n\x04" + public).digest()
    assert witness.key_id == int.from_bytes(digest[:4], "big")
    assert witness.vkey.startswith(f"{witness.name}+{witness.key_id:08x}+")


def test_a_missing_or_forged_cosignature_is_named(log_signer: Signer, witness: Signer) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), log_signer)
    with pytest.raises(UnverifiedNoteError, match="not co-signed by the witness"):
        verify_cosignature(note, witness.vkey)
    line = cosign(note, witness, 1_764_460_800)
    raw = bytearray(base64.b64decode(line.rsplit(" ", 1)[1]))
    raw[11] ^= 1  # another timestamp than the one signed
    forged = add_signature_line(note, f"— {witness.name} {base64.b64encode(bytes(raw)).decode()}")
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(forged, witness.vkey)
    other_checkpoint = sign_checkpoint(Checkpoint(ORIGIN, 43, ROOT), log_signer)
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(add_signature_line(other_checkpoint, line), witness.vkey)


def test_keys_are_used_for_their_own_purpose(log_signer: Signer, witness: Signer) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), log_signer)
    with pytest.raises(ValueError, match="type 0x04"):
        cosign(note, log_signer, 1)
    with pytest.raises(MalformedKeyError):
        verify_cosignature(note, log_signer.vkey)
    with pytest.raises(MalformedKeyError):
        open_checkpoint(note, witness.vkey)


def test_the_estate_is_the_last_segment_of_the_origin() -> None:
    origin = estate_log_origin("ledger.xinyi.example/", "jinhe-lvzhou")
    assert origin == ORIGIN
    assert estate_of_origin(origin) == "jinhe-lvzhou"
    with pytest.raises(MalformedKeyError):
        estate_log_origin("ledger.xinyi.example", "jinhe lvzhou")
