"""`xinyi verify`, `xinyi verify-consistency` and `xinyi witness …`: bundles built with the library are
verified offline; the witness cosigns against a fake ledger only what extends what it cosigned before."""

from __future__ import annotations

import base64
import json
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from xinyi_cli import client
from xinyi_cli.main import app
from xinyi_cli.transparency import witness_dir
from xinyi_shared.transparency.bundles import consistency_bundle, encode_proof, inclusion_bundle
from xinyi_shared.transparency.checkpoint import (
    Checkpoint,
    cosign,
    estate_log_origin,
    generate_witness_key,
    sign_checkpoint,
    verify_cosignature,
)
from xinyi_shared.transparency.entries import (
    EntryLine,
    LedgerEntry,
    encode_opening,
    entry_leaf_hash,
    household_commitment,
)
from xinyi_shared.transparency.merkle import MerkleTree
from xinyi_shared.transparency.note import Signer, add_signature_line, generate_signer_key, parse_signer_key

LEDGER = "http://127.0.0.1:8102"
TOKEN = "test-token"
PLAIN_OUTPUT = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
ESTATE = "jinhe-lvzhou"
ORIGIN = estate_log_origin("ledger.xinyi.example", ESTATE)
LOG_PATH = f"/v1/estates/{ESTATE}/log"
MY_HOUSEHOLD = bytes(range(32))
NEIGHBOUR = bytes(range(100, 132))

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


def make_entries(count: int, *, rewritten_at: int | None = None) -> list[LedgerEntry]:
    entries = []
    for seq in range(1, count + 1):
        transaction = str(uuid.UUID(int=seq))
        household = MY_HOUSEHOLD if seq % 2 else NEIGHBOUR
        amount = 35_00 + seq + (1 if seq == rewritten_at else 0)
        entries.append(
            LedgerEntry(
                estate=ESTATE,
                seq=seq,
                transaction_id=transaction,
                period="2026-11",
                kind="fee",
                posted_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=seq),
                lines=(
                    EntryLine(1, "1100", amount, household_commitment(household, transaction, 1)),
                    EntryLine(2, "4000", -amount),
                ),
            )
        )
    return entries


@dataclass
class Books:
    """An estate's log as the ledger keeps it: entries, their tree, the log's key."""

    log: Signer
    entries: list[LedgerEntry] = field(default_factory=list)

    @property
    def tree(self) -> MerkleTree:
        return MerkleTree([entry_leaf_hash(entry) for entry in self.entries])

    def checkpoint(self, size: int) -> str:
        return sign_checkpoint(Checkpoint(ORIGIN, size, self.tree.root(size)), self.log)


@pytest.fixture(scope="module")
def log_signer() -> Signer:
    return parse_signer_key(generate_signer_key(ORIGIN))


@pytest.fixture(scope="module")
def supervisor() -> Signer:
    return parse_signer_key(generate_witness_key("supervisor.jinhe-lvzhou/zhang"))


@pytest.fixture
def books(log_signer: Signer) -> Books:
    return Books(log_signer, make_entries(30))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=PLAIN_OUTPUT)


def write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def cosigned(note: str, witness: Signer) -> str:
    return add_signature_line(note, cosign(note, witness, 1_764_547_200))


# ---------------------------------------------------------------- xinyi verify


@pytest.fixture
def bundle(books: Books, supervisor: Signer, tmp_path: Path) -> Path:
    tree = books.tree
    return write(
        tmp_path / "bundle.json",
        inclusion_bundle(
            checkpoint_note=cosigned(books.checkpoint(30), supervisor),
            entry=books.entries[6],  # seq 7: my household
            leaf_index=6,
            tree=tree,
            from_checkpoint_note=books.checkpoint(12),
        ),
    )


def test_a_good_bundle_verifies(bundle: Path, books: Books, supervisor: Signer) -> None:
    result = invoke(
        "verify",
        str(bundle),
        "--log-key",
        books.log.vkey,
        "--witness-key",
        supervisor.vkey,
        "--require-witness",
        "--opening",
        encode_opening(MY_HOUSEHOLD),
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ verified: transaction 00000000-0000-0000-0000-000000000007")
    assert any("co-signed by the witness supervisor.jinhe-lvzhou/zhang" in line for line in lines)
    assert any("the older checkpoint (size 12" in line for line in lines)
    assert "your line 1: account 1100, ¥35.07" in result.stdout


def test_the_opening_can_come_from_a_file(bundle: Path, books: Books, tmp_path: Path) -> None:
    opening = tmp_path / "opening.txt"
    opening.write_text(encode_opening(MY_HOUSEHOLD) + "\n")
    result = invoke("verify", str(bundle), "--log-key", books.log.vkey, "--opening-file", str(opening))
    assert result.exit_code == 0, result.output


def test_a_tampered_entry_is_not_verified(bundle: Path, books: Books) -> None:
    data = json.loads(bundle.read_text())
    data["entry"]["lines"][0]["amount_fen"] = 1
    data["entry"]["lines"][1]["amount_fen"] = -1
    write(bundle, data)
    result = invoke("verify", str(bundle), "--log-key", books.log.vkey)
    assert result.exit_code == 1
    assert result.stdout.startswith("✗ NOT verified")
    assert "✗ entry does not hash to the leaf of the inclusion proof" in result.stdout


def test_the_wrong_log_key_is_not_verified(bundle: Path) -> None:
    other = parse_signer_key(generate_signer_key(ORIGIN))
    result = invoke("verify", str(bundle), "--log-key", other.vkey)
    assert result.exit_code == 1
    assert f"✗ checkpoint signature does not verify with key {other.verifier.label}" in result.stdout


def test_a_wrong_opening_owns_no_line(bundle: Path, books: Books) -> None:
    result = invoke("verify", str(bundle), "--log-key", books.log.vkey, "--opening", encode_opening(NEIGHBOUR))
    assert result.exit_code == 1
    assert "✗ no line of this entry belongs to the household" in result.stdout
    assert "your line" not in result.stdout


def test_another_witness_is_not_enough_when_one_is_required(bundle: Path, books: Books) -> None:
    stranger = parse_signer_key(generate_witness_key("someone.else/witness"))
    args = ["verify", str(bundle), "--log-key", books.log.vkey, "--witness-key", stranger.vkey]
    warned = invoke(*args)
    assert warned.exit_code == 0
    assert "! not co-signed by the witness" in warned.stdout
    required = invoke(*args, "--require-witness")
    assert required.exit_code == 1
    assert "✗ not co-signed by the witness" in required.stdout


@pytest.mark.parametrize(
    "extra",
    [
        ["--log-key", "nonsense"],
        ["--witness-key", "nonsense"],
        ["--require-witness"],
        ["--opening", "too-short"],
        ["--opening", encode_opening(MY_HOUSEHOLD), "--opening-file", "/dev/null"],
    ],
)
def test_usage_errors(bundle: Path, books: Books, extra: list[str]) -> None:
    args = ["verify", str(bundle), *([] if extra[0] == "--log-key" else ["--log-key", books.log.vkey]), *extra]
    assert invoke(*args).exit_code == 2


def test_a_file_that_is_not_json_is_refused(tmp_path: Path, books: Books) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = invoke("verify", str(broken), "--log-key", books.log.vkey)
    assert result.exit_code == 1
    assert "is not a JSON file" in result.stderr


def test_verify_consistency(books: Books, tmp_path: Path) -> None:
    good = consistency_bundle(old_note=books.checkpoint(12), new_note=books.checkpoint(30), tree=books.tree)
    result = invoke("verify-consistency", str(write(tmp_path / "good.json", good)), "--log-key", books.log.vkey)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"✓ verified: {ORIGIN} from size 12 to 30")

    rewritten = Books(books.log, make_entries(30, rewritten_at=5))
    forked = {**good, "new": rewritten.checkpoint(30), "proof": encode_proof(rewritten.tree.consistency_proof(12, 30))}
    result = invoke("verify-consistency", str(write(tmp_path / "forked.json", forked)), "--log-key", books.log.vkey)
    assert result.exit_code == 1
    assert "✗ consistency proof from checkpoint size 12 to 30 fails" in result.stdout


# ---------------------------------------------------------------- xinyi witness keygen / show / register


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("XINYI_WITNESS_DIR", raising=False)
    return tmp_path / "config" / "xinyi" / "witness"


def test_keygen_writes_an_owner_only_key_and_prints_its_verifier_key(config: Path) -> None:
    result = invoke("witness", "keygen", "--name", "supervisor.jinhe-lvzhou/zhang")
    assert result.exit_code == 0, result.output
    key_file = config / "witness.key"
    assert witness_dir() == config
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    signer = parse_signer_key(key_file.read_text())
    assert result.stdout.strip() == signer.vkey
    assert signer.signature_type == 0x04
    assert "xinyi witness register --estate" in result.stderr


def test_keygen_refuses_to_overwrite_and_rotation_keeps_the_old_key(config: Path) -> None:
    assert invoke("witness", "keygen", "--name", "supervisor.example/zhang").exit_code == 0
    first = (config / "witness.key").read_text()
    again = invoke("witness", "keygen", "--name", "supervisor.example/zhang")
    assert again.exit_code == 1
    assert "--rotate" in again.stderr
    rotated = invoke("witness", "keygen", "--rotate")  # keeps the name
    assert rotated.exit_code == 0, rotated.output
    kept = config / f"witness.key.{datetime.now(UTC):%Y-%m-%d}"
    assert kept.read_text() == first
    new = parse_signer_key((config / "witness.key").read_text())
    assert new.name == "supervisor.example/zhang"
    assert new.skey + "\n" != first
    assert invoke("witness", "keygen", "--rotate").exit_code == 0
    assert kept.with_name(kept.name + ".2").exists()


def test_keygen_refuses_a_bad_name(config: Path) -> None:
    assert invoke("witness", "keygen", "--name", "has space").exit_code == 2
    assert not (config / "witness.key").exists()


# ---------------------------------------------------------------- xinyi witness cosign, against a fake ledger


class FakeLedger:
    """Answers (method, path with query) with canned responses and records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Answer] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, answer: Answer) -> None:
        self.routes[(method, path)] = answer

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.raw_path.decode()))
        if answer is None:
            return httpx.Response(404, json={"error": "not_found", "reason": "no such route in the fake"})
        return answer(request) if callable(answer) else answer

    def sent(self, method: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.method == method]

    def serve(self, books: Books, size: int, *, older: int | None = None) -> None:
        """The ledger's latest checkpoint at `size`, its key, and the proof from `older`."""
        self.on(
            "GET",
            f"{LOG_PATH}/checkpoints/latest",
            httpx.Response(200, json={"tree_size": size, "note": books.checkpoint(size), "period": "2026-11"}),
        )
        self.on("GET", f"{LOG_PATH}/key", httpx.Response(200, json={"log_key": books.log.vkey}))
        if older is not None:
            proof = encode_proof(books.tree.consistency_proof(older, size))
            self.on("GET", f"{LOG_PATH}/consistency?from={older}&to={size}", httpx.Response(200, json={"proof": proof}))
        self.on("POST", f"{LOG_PATH}/checkpoints/{size}/cosignatures", httpx.Response(201, json={"accepted": True}))


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch, config: Path, supervisor: Signer) -> FakeLedger:
    fake = FakeLedger()
    monkeypatch.setattr(client, "make_http_client", lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    monkeypatch.setenv("XINYI_TOKEN", TOKEN)
    monkeypatch.delenv("XINYI_LEDGER_URL", raising=False)
    config.mkdir(parents=True, mode=0o700)
    (config / "witness.key").write_text(supervisor.skey + "\n")
    return fake


def posted_signature(fake: FakeLedger) -> str:
    (post,) = fake.sent("POST")
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    body = json.loads(post.content)
    assert set(body) == {"signature"}
    signature: str = body["signature"]
    return signature


def test_the_first_cosignature_is_posted_and_remembered(
    ledger: FakeLedger, books: Books, supervisor: Signer, config: Path
) -> None:
    ledger.serve(books, 12)
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 0, result.output
    assert f"✓ cosigned {ORIGIN} at size 12" in result.stdout
    assert "first checkpoint" in result.stderr
    line = posted_signature(ledger)
    assert line.startswith("— supervisor.jinhe-lvzhou/zhang ")
    cosignature = verify_cosignature(add_signature_line(books.checkpoint(12), line), supervisor.vkey)
    assert abs(cosignature.timestamp - datetime.now(UTC).timestamp()) < 60
    state_files = list((config / "checkpoints").glob("*.json"))
    assert len(state_files) == 1 and stat.S_IMODE(state_files[0].stat().st_mode) == 0o600
    state = json.loads(state_files[0].read_text())
    assert (state["origin"], state["tree_size"], state["log_key"]) == (ORIGIN, 12, books.log.vkey)


def test_a_grown_log_is_cosigned_after_its_consistency_proof(
    ledger: FakeLedger, books: Books, supervisor: Signer
) -> None:
    ledger.serve(books, 12)
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    ledger.requests.clear()
    ledger.serve(books, 30, older=12)
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 0, result.output
    paths = [request.url.raw_path.decode() for request in ledger.requests]
    assert f"{LOG_PATH}/consistency?from=12&to=30" in paths
    verify_cosignature(add_signature_line(books.checkpoint(30), posted_signature(ledger)), supervisor.vkey)
    shown = invoke("witness", "show")
    assert shown.exit_code == 0
    assert supervisor.vkey in shown.stdout
    assert ORIGIN in shown.stdout and "│ 30 " in shown.stdout


def test_a_rewritten_history_is_refused_and_nothing_signed(ledger: FakeLedger, books: Books, config: Path) -> None:
    ledger.serve(books, 12)
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    before = {path.name: path.read_text() for path in (config / "checkpoints").iterdir()}
    ledger.requests.clear()
    forged = Books(books.log, make_entries(30, rewritten_at=5))  # entry 5 changed after size 12 was cosigned
    ledger.serve(forged, 30, older=12)
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 1
    assert "REFUSED" in result.stderr and "does not extend" in result.stderr
    assert ledger.sent("POST") == []
    assert {path.name: path.read_text() for path in (config / "checkpoints").iterdir()} == before


def test_a_rollback_is_refused(ledger: FakeLedger, books: Books) -> None:
    ledger.serve(books, 30)
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    ledger.requests.clear()
    ledger.serve(books, 12)
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 1
    assert "rolled back" in result.stderr
    assert ledger.sent("POST") == []


def test_another_root_at_the_same_size_is_refused(ledger: FakeLedger, books: Books) -> None:
    ledger.serve(books, 30)
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    ledger.requests.clear()
    ledger.serve(Books(books.log, make_entries(30, rewritten_at=29)), 30)
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 1
    assert "another root hash" in result.stderr
    assert ledger.sent("POST") == []


def test_the_same_checkpoint_is_cosigned_again(ledger: FakeLedger, books: Books) -> None:
    ledger.serve(books, 30)
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    assert len(ledger.sent("POST")) == 2


def test_a_swapped_log_key_is_refused(ledger: FakeLedger, books: Books) -> None:
    ledger.serve(books, 12)
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    ledger.requests.clear()
    impostor = Books(parse_signer_key(generate_signer_key(ORIGIN)), make_entries(30))
    ledger.serve(impostor, 30, older=12)
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 1
    assert "now presents the log key" in result.stderr
    assert ledger.sent("POST") == []
    # The supervisor checked the new key with the owners: given explicitly, it is accepted.
    accepted = invoke("witness", "cosign", "--estate", ESTATE, "--log-key", impostor.log.vkey)
    assert accepted.exit_code == 0, accepted.output


def test_a_checkpoint_that_does_not_verify_is_refused(ledger: FakeLedger, books: Books) -> None:
    ledger.serve(books, 12)
    other = parse_signer_key(generate_signer_key(ORIGIN))
    result = invoke("witness", "cosign", "--estate", ESTATE, "--log-key", other.vkey)
    assert result.exit_code == 1
    assert "does not verify with the log key" in result.stderr
    assert ledger.sent("POST") == []


def test_without_a_key_cosign_says_to_make_one(ledger: FakeLedger, books: Books, config: Path) -> None:
    (config / "witness.key").unlink()
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 1
    assert "xinyi witness keygen" in result.stderr
    assert ledger.requests == []


def test_register_puts_the_verifier_key(ledger: FakeLedger, supervisor: Signer) -> None:
    ledger.on("PUT", f"{LOG_PATH}/witness", httpx.Response(200, json={"witness_key": supervisor.vkey}))
    result = invoke("witness", "register", "--estate", ESTATE)
    assert result.exit_code == 0, result.output
    (put,) = ledger.sent("PUT")
    assert str(put.url) == f"{LEDGER}{LOG_PATH}/witness"
    assert json.loads(put.content) == {"witness_key": supervisor.vkey}
    assert put.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_ledger_error_is_reported(ledger: FakeLedger) -> None:
    ledger.on(
        "GET",
        f"{LOG_PATH}/checkpoints/latest",
        httpx.Response(403, json={"error": "forbidden", "reason": "only the estate's supervisor may cosign"}),
    )
    result = invoke("witness", "cosign", "--estate", ESTATE)
    assert result.exit_code == 1
    assert "only the estate's supervisor may cosign" in result.stderr


def test_the_cosignature_line_is_the_c2sp_format(ledger: FakeLedger, books: Books, supervisor: Signer) -> None:
    ledger.serve(books, 12)
    assert invoke("witness", "cosign", "--estate", ESTATE).exit_code == 0
    name, encoded = posted_signature(ledger).removeprefix("— ").split(" ")
    raw = base64.b64decode(encoded)
    assert name == supervisor.name
    assert raw[:4] == supervisor.key_id.to_bytes(4, "big") and len(raw) == 4 + 8 + 64
