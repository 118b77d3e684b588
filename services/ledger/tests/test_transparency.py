"""账本透明 — the tamper-evident log's use cases (service_layer/transparency.py) against the fakes.

The estate's books begin in March 2026; "today" is 20 May 2026 there. March holds two bills and a
payment of each household (H1 pays its bill in full, H2 part of it); a month's close logs its entries
and signs a checkpoint; residents check what they are given with the offline verifier
(``xinyi_shared.transparency.verify``), as ``xinyi verify`` does: nothing here trusts the ledger."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from ledger_service.adapters.transparency_log import TransparencyLog
from ledger_service.service_layer import transparency
from ledger_service.service_layer.postings import close_period, record_common_income, record_payment
from services.ledger.tests.fakes import LOG_AUTHORITY, FakeBooks, FakeRegistry, FakeTransparencyLog, estate_rules
from xinyi.ledger.v1 import events_pb2
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xinyi_shared.transparency.checkpoint import (
    cosign,
    generate_witness_key,
    open_checkpoint,
    verify_cosignature,
)
from xinyi_shared.transparency.entries import decode_opening, entry_from_json, lines_of_household
from xinyi_shared.transparency.merkle import MerkleTree
from xinyi_shared.transparency.note import Signer, generate_signer_key, parse_signer_key
from xinyi_shared.transparency.verify import verify_bundle, verify_consistency_bundle

ESTATE = "jinhe-lvzhou"
OTHER = "binhe-huayuan"
TODAY = date(2026, 5, 20)
RULES = estate_rules("2026-03-01", rate="35", remuneration_share_bps=1500, donation_share_bps=3000)
ORIGIN = f"{LOG_AUTHORITY}/estates/{ESTATE}"
NOW = int(datetime(2026, 5, 21, 1, tzinfo=UTC).timestamp())  # when the supervisor cosigns

H1 = "11111111-1111-4111-8111-111111111111"  # 90.00 m²: 3150 fen a month
H2 = "22222222-2222-4222-8222-222222222222"  # 120.55 m²: 4219 fen a month
H3 = "33333333-3333-4333-8333-333333333333"  # known to the books, no entry of its own


@pytest.fixture
def registry() -> FakeRegistry:
    registry = FakeRegistry()
    for estate in (ESTATE, OTHER):
        registry.add_rules(estate, RULES)
        for household, area in ((H1, 9000), (H2, 12055)):
            registry.add_household(estate, household, area)
    return registry


@pytest.fixture
def books() -> Iterator[FakeBooks]:
    books = FakeBooks(TODAY)
    books.open_estate(ESTATE, first_period="2026-03", rules=RULES, households={H1: 9000, H2: 12055, H3: 8000})
    books.open_estate(OTHER, first_period="2026-03", rules=RULES, households={H1: 9000})
    yield books
    books.check_consistency()  # the tests that alter the books restore them before they end


def pay(books: FakeBooks, registry: FakeRegistry, household: str, fen: int, received_on: date) -> str:
    key = f"pay-{household[:4]}-{received_on.isoformat()}-{fen}"
    paid, _ = record_payment(books.uow(ESTATE), registry, key, household, fen, "cash", "r", received_on, "firm-staff")
    return paid.transaction_id


def close(books: FakeBooks, registry: FakeRegistry, period: str) -> None:
    close_period(books.uow(ESTATE), registry, period, f"close-{period}", "firm-manager")


def march(books: FakeBooks, registry: FakeRegistry) -> str:
    """March's bills and payments (H1 pays 3150 in full, H2 2000 of 4219); H1's payment's id."""
    books.bill(ESTATE, H1, "2026-03")
    books.bill(ESTATE, H2, "2026-03")
    payment = pay(books, registry, H1, 3150, date(2026, 3, 10))
    pay(books, registry, H2, 2000, date(2026, 3, 12))
    return payment


def log_key(books: FakeBooks) -> str:
    return transparency.identity(books.uow(ESTATE), LOG_AUTHORITY).log_key


def witness(name: str = "supervisor.jinhe-lvzhou/zhang") -> Signer:
    return parse_signer_key(generate_witness_key(name))


def entries_through(books: FakeBooks, period: str) -> list[str]:
    return [row.id for row in books.entries_of(ESTATE) if row.transaction.period <= period]


def numbered(books: FakeBooks, transaction_id: str) -> int:
    (row,) = (row for row in books.entries_of(ESTATE) if row.id == transaction_id)
    return row.number


# Checkpoints -------------------------------------------------------------------------------------


def test_a_close_signs_a_checkpoint_of_every_entry_through_the_month(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    books.bill(ESTATE, H1, "2026-04")  # April's: not logged by March's close
    close(books, registry, "2026-03")

    march_entries = entries_through(books, "2026-03")  # bills, payments, the accrual, the donation
    published = transparency.checkpoint(books.uow(ESTATE))
    assert (published.tree_size, published.period, published.cosignatures) == (len(march_entries), "2026-03", [])
    opened = open_checkpoint(published.note, log_key(books))  # signed by the estate's log key
    assert (opened.origin, opened.size) == (ORIGIN, len(march_entries))
    leaves = [leaf for (estate, _), leaf in sorted(books.tables.log_leaves.items()) if estate == ESTATE]
    assert [leaf.transaction_id for leaf in leaves] == march_entries  # in the books' order
    assert opened.root_hash == MerkleTree([leaf.leaf_hash for leaf in leaves]).root()
    assert transparency.checkpoints(books.uow(ESTATE)) == [published]
    assert transparency.checkpoint(books.uow(ESTATE), len(march_entries)) == published
    with pytest.raises(NotFound, match="no checkpoint of size 1"):
        transparency.checkpoint(books.uow(ESTATE), 1)
    (event,) = (m for m in books.published(ESTATE) if isinstance(m, events_pb2.CheckpointPublished))
    assert event == events_pb2.CheckpointPublished(
        estate_code=ESTATE, period="2026-03", origin=ORIGIN, tree_size=len(march_entries), root_hash=opened.root_hash
    )
    # The log and its key are the estate's own.
    with pytest.raises(NotFound, match="no checkpoint yet"):
        transparency.checkpoint(books.uow(OTHER))
    other = transparency.identity(books.uow(OTHER), LOG_AUTHORITY)
    assert other.origin == f"{LOG_AUTHORITY}/estates/{OTHER}"
    assert other.log_key != log_key(books)
    with pytest.raises(NotFound):
        transparency.checkpoints(books.uow("nowhere"))


def test_the_log_key_is_made_once_and_named_like_the_origin(books: FakeBooks) -> None:
    first = transparency.identity(books.uow(ESTATE), LOG_AUTHORITY)
    assert (first.origin, first.witness_keys) == (ORIGIN, [])
    assert first.log_key.startswith(f"{ORIGIN}+")
    assert transparency.identity(books.uow(ESTATE), LOG_AUTHORITY) == first
    (key,) = books.tables.log_keys.values()
    assert key.verifier_key == first.log_key
    assert parse_signer_key(key.signer_key).vkey == first.log_key


def test_a_checkpoint_between_closes_is_consistent_with_the_close(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    close(books, registry, "2026-03")
    first = transparency.checkpoint(books.uow(ESTATE))
    books.bill(ESTATE, H1, "2026-05")
    pay(books, registry, H1, 3150, TODAY)
    record_common_income(books.uow(ESTATE), "income-may-1", "parking", 20000, "Car park", TODAY, "firm-staff")

    second = transparency.publish_now(books.uow(ESTATE))
    assert (second.tree_size, second.period) == (len(books.entries_of(ESTATE)), "2026-05")
    assert second.tree_size > first.tree_size
    key = log_key(books)
    for to in (None, second.tree_size):
        bundle = transparency.consistency(books.uow(ESTATE), first.tree_size, to)
        verdict = verify_consistency_bundle(bundle, log_key=key)
        assert verdict.ok, verdict.reasons
        assert (bundle["old"], bundle["new"]) == (first.note, second.note)
    same = verify_consistency_bundle(transparency.consistency(books.uow(ESTATE), second.tree_size, None), log_key=key)
    assert same.ok, same.reasons
    with pytest.raises(InvalidInput, match="no larger than"):
        transparency.consistency(books.uow(ESTATE), second.tree_size, first.tree_size)
    with pytest.raises(NotFound):
        transparency.consistency(books.uow(ESTATE), first.tree_size + 1, None)
    # Verified against another log's key, the same bundle fails.
    foreign = verify_consistency_bundle(
        transparency.consistency(books.uow(ESTATE), first.tree_size, None),
        log_key=transparency.identity(books.uow(OTHER), LOG_AUTHORITY).log_key,
    )
    assert not foreign.ok


def test_with_nothing_new_the_latest_checkpoint_stands(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    close(books, registry, "2026-03")
    latest = transparency.checkpoint(books.uow(ESTATE))
    announced = len(books.published(ESTATE))
    assert transparency.publish_now(books.uow(ESTATE)) == latest
    close(books, registry, "2026-04")  # nothing posted in April: closed, and no checkpoint signed
    assert books.period_statuses(ESTATE)["2026-04"] == "closed"
    assert transparency.checkpoints(books.uow(ESTATE)) == [latest]
    assert [type(m).__name__ for m in books.published(ESTATE)[announced:]] == ["PeriodClosed"]


def test_books_without_entries_close_and_sign_nothing(books: FakeBooks, registry: FakeRegistry) -> None:
    close(books, registry, "2026-03")
    assert books.period_statuses(ESTATE)["2026-03"] == "closed"
    assert transparency.checkpoints(books.uow(ESTATE)) == []
    with pytest.raises(NotFound, match="no checkpoint yet"):
        transparency.checkpoint(books.uow(ESTATE))
    with pytest.raises(Conflict, match="nothing to sign"):
        transparency.publish_now(books.uow(ESTATE))
    assert books.tables.checkpoints == {}
    assert not any(isinstance(m, events_pb2.CheckpointPublished) for m in books.published(ESTATE))
    with pytest.raises(NotFound):
        transparency.publish_now(books.uow("nowhere"))


# Inclusion and households ------------------------------------------------------------------------


def test_a_households_payment_is_proven_and_only_its_household_opens_it(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    payment = march(books, registry)
    close(books, registry, "2026-03")
    key = log_key(books)
    mine = decode_opening(transparency.household_opening(books.uow(ESTATE), H1))
    theirs = decode_opening(transparency.household_opening(books.uow(ESTATE), H2))

    bundle = transparency.inclusion(books.uow(ESTATE), payment, None, None)
    verdict = verify_bundle(bundle, log_key=key, opening=mine)
    assert verdict.ok, verdict.reasons
    entry = entry_from_json(bundle["entry"])
    assert (entry.estate, entry.transaction_id, entry.seq, entry.kind) == (
        ESTATE,
        payment,
        numbered(books, payment),
        "payment_received",
    )
    assert [(line.line, line.account, line.amount_fen) for line in lines_of_household(entry, mine)] == [
        (2, "1100", -3150)
    ]
    assert lines_of_household(entry, theirs) == ()
    assert H1 not in str(bundle)  # the household appears only as its commitment
    refused = verify_bundle(bundle, log_key=key, opening=theirs)
    assert not refused.ok
    assert "no line of this entry belongs to the household" in refused.reasons
    # In a given checkpoint, with the proof that an older one is a prefix of it.
    size = bundle["tree_size"]
    pinned = transparency.inclusion(books.uow(ESTATE), payment, size, size)
    verdict = verify_bundle(pinned, log_key=key, opening=mine)
    assert verdict.ok, verdict.reasons
    assert pinned["consistency"]["from_checkpoint"] == bundle["checkpoint"]


def test_an_entry_not_yet_logged_has_no_proof(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    close(books, registry, "2026-03")
    may = pay(books, registry, H1, 100, TODAY)
    with pytest.raises(NotFound, match="not in the log yet"):
        transparency.inclusion(books.uow(ESTATE), may, None, None)
    older = transparency.checkpoint(books.uow(ESTATE)).tree_size
    transparency.publish_now(books.uow(ESTATE))
    assert verify_bundle(transparency.inclusion(books.uow(ESTATE), may, None, older), log_key=log_key(books)).ok
    with pytest.raises(NotFound, match=f"not in the checkpoint of size {older}"):
        transparency.inclusion(books.uow(ESTATE), may, older, None)
    for unknown in ("not-a-uuid", "44444444-4444-4444-8444-444444444444"):
        with pytest.raises(NotFound):
            transparency.inclusion(books.uow(ESTATE), unknown, None, None)
    with pytest.raises(NotFound):
        transparency.inclusion(books.uow(OTHER), may, None, None)  # another estate's log


def test_a_households_opening_is_made_once_and_never_changes(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    opening = transparency.household_opening(books.uow(ESTATE), H1)
    assert len(decode_opening(opening)) == 32
    close(books, registry, "2026-03")  # logging its entries keeps its secret
    assert transparency.household_opening(books.uow(ESTATE), H1) == opening
    assert transparency.household_opening(books.uow(ESTATE), H1.upper()) == opening
    assert transparency.household_opening(books.uow(ESTATE), H2) != opening
    assert transparency.household_opening(books.uow(OTHER), H1) != opening  # each estate its own secret
    without_entries = transparency.household_opening(books.uow(ESTATE), H3)
    assert transparency.household_opening(books.uow(ESTATE), H3) == without_entries
    with pytest.raises(NotFound):
        transparency.household_opening(books.uow("nowhere"), H1)


# The audit: a rogue administrator ----------------------------------------------------------------


def test_an_entry_altered_after_it_was_logged_is_named_and_nothing_is_signed(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    payment = march(books, registry)
    close(books, registry, "2026-03")
    signed = transparency.checkpoints(books.uow(ESTATE))
    books.bill(ESTATE, H1, "2026-04")
    number = numbered(books, payment)

    books.alter_line(ESTATE, payment, 2, -3000)  # the payment now credits the household 3000, not 3150
    named = rf"entry #{number} \({payment}, leaf \d+\) no longer matches the leaf its checkpoint signed"
    with pytest.raises(Conflict, match=named):
        transparency.publish_now(books.uow(ESTATE))
    with pytest.raises(Conflict, match=named):
        close(books, registry, "2026-04")
    assert books.period_statuses(ESTATE)["2026-04"] == "open"  # the close is refused
    with pytest.raises(Conflict, match="altered after they were published"):
        transparency.inclusion(books.uow(ESTATE), payment, None, None)
    assert transparency.checkpoints(books.uow(ESTATE)) == signed

    books.alter_line(ESTATE, payment, 2, -3150)  # restored from a backup
    close(books, registry, "2026-04")
    assert len(transparency.checkpoints(books.uow(ESTATE))) == 2


def test_a_rewritten_leaf_no_longer_matches_its_checkpoint(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    close(books, registry, "2026-03")
    books.bill(ESTATE, H1, "2026-04")
    kept = books.tables.log_leaves[(ESTATE, 1)].leaf_hash
    books.rewrite_leaf(ESTATE, 1, bytes(32))
    with pytest.raises(Conflict, match=r"no longer matches the checkpoint of 2026-03 \(size \d+\)"):
        transparency.publish_now(books.uow(ESTATE))
    with pytest.raises(Conflict, match="leaves were rewritten"):
        close(books, registry, "2026-04")
    books.rewrite_leaf(ESTATE, 1, kept)
    assert transparency.publish_now(books.uow(ESTATE)).period == "2026-05"


# The supervisor as witness -----------------------------------------------------------------------


def test_only_a_cosignature_v1_key_is_a_witness_key(books: FakeBooks) -> None:
    for not_a_key in ("not a key at all", "zhang+00000000+AAAA"):
        with pytest.raises(InvalidInput, match="not a witness verifier key"):
            transparency.register_witness(books.uow(ESTATE), not_a_key, "supervisor")
    note_key = parse_signer_key(generate_signer_key("supervisor.jinhe-lvzhou/zhang")).vkey  # type 0x01
    with pytest.raises(InvalidInput, match="type 0x04"):
        transparency.register_witness(books.uow(ESTATE), note_key, "supervisor")
    with pytest.raises(InvalidInput):
        transparency.register_witness(books.uow(ESTATE), witness().skey, "supervisor")  # the secret half
    assert transparency.identity(books.uow(ESTATE), LOG_AUTHORITY).witness_keys == []


def test_a_new_witness_key_retires_the_one_before(books: FakeBooks) -> None:
    old, new = witness(), witness("supervisor.jinhe-lvzhou/li")
    first = transparency.register_witness(books.uow(ESTATE), old.vkey, "supervisor")
    assert (first.verifier_key, first.name, first.retired_at) == (old.vkey, old.name, None)
    assert transparency.register_witness(books.uow(ESTATE), old.vkey, "supervisor") == first  # again: unchanged
    transparency.register_witness(books.uow(ESTATE), new.vkey, "supervisor")
    keys = {k.verifier_key: k for k in transparency.identity(books.uow(ESTATE), LOG_AUTHORITY).witness_keys}
    assert keys[old.vkey].retired_at is not None
    assert keys[new.vkey].retired_at is None
    assert transparency.identity(books.uow(OTHER), LOG_AUTHORITY).witness_keys == []


def test_the_supervisors_cosignature_is_kept_once_and_carried_by_the_note(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    payment = march(books, registry)
    close(books, registry, "2026-03")
    checkpoint = transparency.checkpoint(books.uow(ESTATE))
    size = checkpoint.tree_size
    zhang = witness()
    line = cosign(checkpoint.note, zhang, NOW)
    with pytest.raises(Conflict, match="no witness key is registered"):
        transparency.add_cosignature(books.uow(ESTATE), size, line)

    transparency.register_witness(books.uow(ESTATE), zhang.vkey, "supervisor")
    cosigned = transparency.add_cosignature(books.uow(ESTATE), size, f"  {line}\n")
    assert cosigned.note == checkpoint.note + line + "\n"
    assert verify_cosignature(cosigned.note, zhang.vkey).timestamp == NOW
    ((kept),) = cosigned.cosignatures
    assert (kept.tree_size, kept.verifier_key, kept.signature_line) == (size, zhang.vkey, line)
    assert kept.cosigned_at == datetime.fromtimestamp(NOW, UTC)
    assert transparency.checkpoint(books.uow(ESTATE)) == cosigned
    (event,) = (m for m in books.published(ESTATE) if isinstance(m, events_pb2.CheckpointCosigned))
    assert event == events_pb2.CheckpointCosigned(
        estate_code=ESTATE, origin=ORIGIN, tree_size=size, witness_key_name=zhang.name
    )
    # A resident requiring the witness verifies the inclusion bundle, which carries the cosignature.
    bundle = transparency.inclusion(books.uow(ESTATE), payment, None, None)
    verdict = verify_bundle(bundle, log_key=log_key(books), witness_keys=[zhang.vkey], require_witness=True)
    assert verdict.ok, verdict.reasons

    # Idempotent for the key: the same line again, or a later one, keeps the first.
    for again in (line, cosign(checkpoint.note, zhang, NOW + 60)):
        assert transparency.add_cosignature(books.uow(ESTATE), size, again) == cosigned
    assert len([m for m in books.published(ESTATE) if isinstance(m, events_pb2.CheckpointCosigned)]) == 1


def test_a_cosignature_by_another_key_or_malformed_is_refused(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    close(books, registry, "2026-03")
    checkpoint = transparency.checkpoint(books.uow(ESTATE))
    size = checkpoint.tree_size
    zhang, impostor = witness(), witness()  # the same name, another key
    transparency.register_witness(books.uow(ESTATE), zhang.vkey, "supervisor")
    with pytest.raises(PermissionDenied, match="registered witness key"):
        transparency.add_cosignature(books.uow(ESTATE), size, cosign(checkpoint.note, impostor, NOW))
    other_text = checkpoint.note.replace(f"\n{size}\n", f"\n{size + 1}\n", 1)  # a checkpoint it was not shown
    with pytest.raises(PermissionDenied):
        transparency.add_cosignature(books.uow(ESTATE), size, cosign(other_text, zhang, NOW))
    for malformed in ("not a cosignature line", "— zhang !!!not-base64!!!"):
        with pytest.raises(InvalidInput, match="not a cosignature line"):
            transparency.add_cosignature(books.uow(ESTATE), size, malformed)
    with pytest.raises(NotFound):
        transparency.add_cosignature(books.uow(ESTATE), size + 1, cosign(checkpoint.note, zhang, NOW))
    # Once retired, a key's cosignatures are no longer taken (those it made stand).
    transparency.register_witness(books.uow(ESTATE), witness("supervisor.jinhe-lvzhou/li").vkey, "supervisor")
    with pytest.raises(PermissionDenied):
        transparency.add_cosignature(books.uow(ESTATE), size, cosign(checkpoint.note, zhang, NOW))
    assert transparency.checkpoint(books.uow(ESTATE)).cosignatures == []


def test_a_cosignature_dated_beyond_the_calendar_is_refused_as_invalid(
    books: FakeBooks, registry: FakeRegistry
) -> None:
    march(books, registry)
    close(books, registry, "2026-03")
    checkpoint = transparency.checkpoint(books.uow(ESTATE))
    zhang = witness()
    transparency.register_witness(books.uow(ESTATE), zhang.vkey, "supervisor")
    with pytest.raises(InvalidInput):
        transparency.add_cosignature(books.uow(ESTATE), checkpoint.tree_size, cosign(checkpoint.note, zhang, 2**40))


# The fake log itself -----------------------------------------------------------------------------


def test_the_fake_log_implements_every_public_method_of_the_real_one() -> None:
    public = {name for name, _ in inspect.getmembers(TransparencyLog, inspect.isfunction) if not name.startswith("_")}
    assert public
    for name in public:
        assert getattr(FakeTransparencyLog, name) is not getattr(TransparencyLog, name), name
        assert inspect.signature(getattr(FakeTransparencyLog, name)) == inspect.signature(
            getattr(TransparencyLog, name)
        ), name


def test_the_fake_log_rolls_back_is_append_only_and_the_estates_own(books: FakeBooks, registry: FakeRegistry) -> None:
    march(books, registry)
    start = books.tables.copy()
    with books.uow(ESTATE) as uow:
        transparency.publish_checkpoint(uow, "2026-03", uow.log_authority)
        assert len(uow.log.leaves()) == 4
        uow.log.household_secrets([H3])
    assert books.tables == start  # not committed: no key, leaf, checkpoint or secret stays

    transparency.publish_now(books.uow(ESTATE))
    with books.uow(ESTATE) as uow:
        leaves = uow.log.leaves()
        (checkpoint,) = uow.log.checkpoints()
        with pytest.raises(IntegrityError, match="log_leaves_pkey"):
            uow.log.append(0, [("44444444-4444-4444-8444-444444444444", bytes(32))])
        with pytest.raises(IntegrityError, match="once_per_transaction"):
            uow.log.append(len(leaves), [(leaves[0].transaction_id, bytes(32))])
        with pytest.raises(IntegrityError, match="log_leaves_shape"):
            uow.log.append(len(leaves), [("44444444-4444-4444-8444-444444444444", b"short")])
        with pytest.raises(IntegrityError, match="checkpoints_pkey"):
            uow.log.add_checkpoint(checkpoint.tree_size, "2026-05", checkpoint.note, checkpoint.root_hash)
        assert uow.log.leaf_of(leaves[2].transaction_id.upper()) == leaves[2]
        assert uow.log.leaf_of("not-a-uuid") is None
        assert uow.log.checkpoint_holding(len(leaves) - 1) == checkpoint
        assert uow.log.checkpoint_holding(len(leaves)) is None
        assert uow.log.unlogged_transaction_ids("2026-12") == []
        secrets = uow.log.household_secrets([H1, H2])
        assert uow.log.household_secrets([H1.upper()]) == {H1: secrets[H1]}
    with books.uow(OTHER) as uow:
        assert (uow.log.key(), uow.log.leaves(), uow.log.checkpoints()) == (None, [], [])
        assert uow.log.entries([leaves[0].transaction_id]) == {}
        assert uow.log.leaf_of(leaves[0].transaction_id) is None
        assert uow.log.household_secrets([H1])[H1] != secrets[H1]
