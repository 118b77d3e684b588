"""Signed notes in the formats of C2SP signed-note and Go's golang.org/x/mod/sumdb/note: the example of
the Go package's documentation byte for byte, round trips, key formats and every way a note is refused."""

from __future__ import annotations

import base64
import hashlib

import pytest

from xinyi_shared.transparency.note import (
    COSIGNATURE_V1,
    ED25519,
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    UnverifiedNoteError,
    add_signature_line,
    check_key_name,
    cosignature_message,
    generate_signer_key,
    key_id,
    open_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signature_line,
    split_note,
)

# The example of golang.org/x/mod/sumdb/note's package documentation.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_NOTE = (
    PETER_TEXT + "\n"
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_the_go_documentation_example_signs_byte_for_byte() -> None:
    signer = parse_signer_key(PETER_SKEY)
    assert signer.vkey == PETER_VKEY
    assert signer.key_id == 0xC74F20A3
    assert sign_note(PETER_TEXT, signer) == PETER_NOTE  # Ed25519 is deterministic


def test_the_go_documentation_example_opens() -> None:
    opened = open_note(PETER_NOTE, [PETER_VKEY])
    assert opened.text == PETER_TEXT
    assert [(s.verifier.name, s.verifier.key_id) for s in opened.verified] == [("PeterNeumann", 0xC74F20A3)]
    assert opened.unverified == ()


def test_the_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    verifier = parse_verifier_key(PETER_VKEY)
    raw = base64.b64decode(PETER_VKEY.split("+", 2)[2])
    digest = hashlib.sha256(b"PeterNeumann\n" + raw).digest()
    assert verifier.key_id == int.from_bytes(digest[:4], "big") == key_id("PeterNeumann", ED25519, raw[1:])
    assert verifier.vkey == PETER_VKEY


def test_generated_keys_round_trip_and_sign() -> None:
    skey = generate_signer_key("ledger.example/estates/jinhe-lvzhou")
    signer = parse_signer_key(skey)
    assert skey.startswith("PRIVATE+KEY+ledger.example/estates/jinhe-lvzhou+")
    assert signer.skey == skey
    verifier = parse_verifier_key(signer.vkey)
    assert verifier == signer.verifier
    assert "PRIVATE" not in repr(signer) and signer.vkey.split("+", 2)[2] not in repr(signer)
    text = "金河绿洲\nline two\n\nafter an empty line\n"
    note = sign_note(text, signer)
    assert open_note(note, [verifier]).text == text


def test_a_note_signed_by_two_keys_opens_with_either() -> None:
    first, second = (parse_signer_key(generate_signer_key(name)) for name in ("one.example", "two.example"))
    note = sign_note("text\n", first, second)
    assert open_note(note, [second.verifier]).unverified[0].name == "one.example"
    both = open_note(note, [first.verifier, second.verifier])
    assert {s.verifier.name for s in both.verified} == {"one.example", "two.example"}


def test_a_cosignature_key_signs_the_cosignature_v1_message() -> None:
    witness = parse_signer_key(generate_signer_key("witness.example/w1", COSIGNATURE_V1))
    assert base64.b64decode(witness.vkey.split("+", 2)[2])[0] == 0x04  # a cosignature/v1 key
    text = "origin\n3\n" + base64.b64encode(bytes(32)).decode() + "\n"
    line = signature_line(text, witness, timestamp=1_700_000_000)
    raw = base64.b64decode(line.rsplit(" ", 1)[1])
    assert raw[:4] == witness.key_id.to_bytes(4, "big")
    assert int.from_bytes(raw[4:12], "big") == 1_700_000_000
    assert witness.verifier.verify(cosignature_message(text, 1_700_000_000), raw[12:])
    assert cosignature_message(text, 1_700_000_000) == b"cosignature/v1\ntime 1700000000\n" + text.encode()
    opened = open_note(text + "\n" + line + "\n", [witness.verifier])
    assert opened.verified[0].timestamp == 1_700_000_000
    with pytest.raises(ValueError, match="timestamp"):
        signature_line(text, witness)


def test_add_signature_line_appends_at_the_end() -> None:
    log = parse_signer_key(PETER_SKEY)
    witness = parse_signer_key(generate_signer_key("w.example", COSIGNATURE_V1))
    line = signature_line(PETER_TEXT, witness, timestamp=5)
    both = add_signature_line(PETER_NOTE, line)
    assert both == PETER_NOTE + line + "\n"
    assert len(open_note(both, [log.verifier, witness.verifier]).verified) == 2


# ---------------------------------------------------------------- refusals


def test_a_changed_text_is_an_invalid_signature() -> None:
    with pytest.raises(InvalidSignatureError, match="PeterNeumann"):
        open_note(PETER_NOTE.replace("problem,", "problem;"), [PETER_VKEY])


def test_a_changed_signature_is_an_invalid_signature() -> None:
    text, (signature,) = split_note(PETER_NOTE)
    raw = bytearray(signature.signature)
    raw[10] ^= 1
    forged = text + "\n— PeterNeumann " + base64.b64encode(signature.key_id.to_bytes(4, "big") + raw).decode() + "\n"
    with pytest.raises(InvalidSignatureError):
        open_note(forged, [PETER_VKEY])


def test_an_unknown_key_is_not_a_verification() -> None:
    other = parse_signer_key(generate_signer_key("PeterNeumann"))  # same name, another key (and key id)
    with pytest.raises(UnverifiedNoteError, match="PeterNeumann"):
        open_note(PETER_NOTE, [other.verifier])
    with pytest.raises(UnverifiedNoteError):
        open_note(PETER_NOTE, [])


def test_a_key_with_the_right_name_and_id_but_other_bytes_fails() -> None:
    impostor = parse_verifier_key(PETER_VKEY)
    forged = type(impostor)(impostor.name, impostor.key_id, impostor.signature_type, bytes(32))
    with pytest.raises(InvalidSignatureError):
        open_note(PETER_NOTE, [forged])


@pytest.mark.parametrize(
    "note",
    [
        PETER_TEXT,  # no signatures
        PETER_TEXT + "\n",  # a blank line and nothing after
        PETER_NOTE.rstrip("\n"),  # last signature line without its newline
        PETER_NOTE.replace("— ", "-- "),  # not an em dash
        PETER_NOTE.replace("— PeterNeumann ", "— Peter+Neumann "),  # '+' in the name
        PETER_NOTE.replace("— PeterNeumann ", "— PeterNeumann  "),  # two spaces: bad base64
        PETER_NOTE.replace("x08go", "x08g!"),  # not base64
        PETER_NOTE.replace("problem,", "problem,\t"),  # control character
        PETER_TEXT + "\n— PeterNeumann AAAA\n",  # too short to hold a key id and a signature
        PETER_TEXT + "\n" + "".join(f"— k{i} AAAAAAAA\n" for i in range(101)),  # too many signatures
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(note, [PETER_VKEY])


def test_invalid_utf8_is_malformed() -> None:
    with pytest.raises(MalformedNoteError):
        open_note(PETER_NOTE.encode() + b"\xff\n", [PETER_VKEY])


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 7 hex digits
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in the name
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # empty name
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # not base64 of 33 bytes
        "PeterNeumann+c74f20a3+AxpcnQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown type 0x03
        "PeterNeumann+c74f20a3",
        PETER_SKEY,
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(MalformedKeyError):
        parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "skey",
    [
        PETER_VKEY,
        PETER_SKEY.replace("c74f20a3", "c74f20a4"),  # the key id must be the derived public key's
        PETER_SKEY.replace("PRIVATE+KEY", "PRIVATE+KEYS"),
        PETER_SKEY[:-4],
    ],
)
def test_malformed_signer_keys_are_refused(skey: str) -> None:
    with pytest.raises(MalformedKeyError):
        parse_signer_key(skey)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\u3000b", "a\nb", "a\x00b"])
def test_bad_key_names_are_refused(name: str) -> None:
    with pytest.raises(MalformedKeyError):
        check_key_name(name)
    with pytest.raises(MalformedKeyError):
        generate_signer_key(name)


def test_a_text_must_end_in_a_newline() -> None:
    with pytest.raises(MalformedNoteError):
        sign_note("no newline", parse_signer_key(PETER_SKEY))
