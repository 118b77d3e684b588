from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenant_service.domain.ballots import (
    Ballot,
    BallotResult,
    BallotStatus,
    BallotTerms,
    ThresholdBase,
    ThresholdKind,
    meets_threshold,
    receipt_fingerprint,
    verify_receipt,
)
from xinyi_shared.errors import Conflict, InvalidInput, PermissionDenied

OPENS = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=7)
DURING = OPENS + timedelta(hours=1)
AFTER = CLOSES + timedelta(minutes=5)
BEFORE = OPENS - timedelta(days=1)
PLANS = ("方案A", "方案B", "方案C")


def terms(**overrides: object) -> BallotTerms:
    values: dict[str, object] = {
        "question": "2027 年度服务方案",
        "options": PLANS,
        "quorum_bps": 0,
        "threshold": ThresholdKind.SIMPLE_MAJORITY,
        "threshold_base": ThresholdBase.VOTES_CAST,
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "subject": "budget-2027",
    }
    values.update(overrides)
    return BallotTerms(**values)  # type: ignore[arg-type]


def households(n: int) -> list[str]:
    return [f"hh-{i:04d}" for i in range(n)]


def ballot(electorate_size: int = 10, **overrides: object) -> Ballot:
    return Ballot.open("b-1", "jinhe-lvzhou", terms(**overrides), households(electorate_size), BEFORE)


def vote_many(b: Ballot, counts: dict[str, int]) -> dict[str, str]:
    """Cast ``counts[option]`` votes per option from distinct households; returns household -> receipt."""
    receipts: dict[str, str] = {}
    voters = iter(sorted(b.electorate))
    for option, count in counts.items():
        for _ in range(count):
            household = next(voters)
            _, receipts[household] = b.cast(household, option, f"{household}-owner", DURING)
    return receipts


# --- terms ---------------------------------------------------------------------------------------


def test_terms_are_normalised() -> None:
    t = terms(question="  选哪个方案？ ", options=[" A ", "B"], threshold="two_thirds", threshold_base="all_households")
    assert t.question == "选哪个方案？"
    assert t.options == ("A", "B")
    assert t.threshold is ThresholdKind.TWO_THIRDS
    assert t.threshold_base is ThresholdBase.ALL_HOUSEHOLDS


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"question": "  "}, "question"),
        ({"options": ("only",)}, "2 to 20"),
        ({"options": tuple(f"o{i}" for i in range(21))}, "2 to 20"),
        ({"options": ("A", "")}, "option"),
        ({"options": ("A", "a")}, "distinct"),
        ({"options": ("A", " A")}, "distinct"),
        ({"options": "AB"}, "list"),
        ({"quorum_bps": -1}, "quorum"),
        ({"quorum_bps": 10001}, "quorum"),
        ({"quorum_bps": True}, "quorum"),
        ({"threshold": "most"}, "threshold"),
        ({"threshold_base": "owners"}, "threshold"),
        ({"opens_at": OPENS.replace(tzinfo=None)}, "time zone"),
        ({"closes_at": OPENS + timedelta(seconds=59)}, "one minute"),
        ({"closes_at": OPENS - timedelta(hours=1)}, "one minute"),
    ],
)
def test_bad_terms_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        terms(**overrides)


def test_twenty_options_and_a_one_minute_window_are_allowed() -> None:
    t = terms(options=tuple(f"o{i}" for i in range(20)), closes_at=OPENS + timedelta(minutes=1))
    assert len(t.options) == 20


def test_opening_needs_an_electorate_and_a_future_close() -> None:
    with pytest.raises(InvalidInput, match="electorate"):
        Ballot.open("b-1", "jinhe-lvzhou", terms(), [], BEFORE)
    with pytest.raises(InvalidInput, match="close in the future"):
        Ballot.open("b-1", "jinhe-lvzhou", terms(), households(3), CLOSES)
    with pytest.raises(InvalidInput, match="estate code"):
        Ballot.open("b-1", "Jinhe", terms(), households(3), BEFORE)
    # opened while already in its window: fine
    assert Ballot.open("b-1", "jinhe-lvzhou", terms(), households(3), DURING).status(DURING) is BallotStatus.OPEN


def test_status_follows_the_clock() -> None:
    b = ballot()
    assert b.status(BEFORE) is BallotStatus.SCHEDULED
    assert b.status(OPENS) is BallotStatus.OPEN
    assert b.status(CLOSES - timedelta(microseconds=1)) is BallotStatus.OPEN
    assert b.status(CLOSES) is BallotStatus.CLOSED


def test_the_electorate_is_frozen_at_opening() -> None:
    electorate = households(3)
    b = Ballot.open("b-1", "jinhe-lvzhou", terms(), electorate, BEFORE)
    electorate.append("hh-new")  # a household joins the estate after the opening
    with pytest.raises(PermissionDenied):
        b.cast("hh-new", "方案A", "newcomer", DURING)
    assert b.electorate_size == 3


# --- casting -------------------------------------------------------------------------------------


def test_a_vote_gets_a_receipt_and_keeps_only_its_fingerprint() -> None:
    b = ballot()
    vote, receipt = b.cast("hh-0001", "方案B", "user-wang", DURING)
    assert len(receipt) >= 16
    assert vote.household_id == "hh-0001"
    assert vote.option == "方案B"
    assert vote.cast_by == "user-wang"
    assert vote.cast_at == DURING
    assert vote.fingerprint == receipt_fingerprint("b-1", receipt)
    assert len(vote.fingerprint) == 16
    assert receipt not in repr(vote)
    assert b.own_vote("hh-0001") == vote
    assert b.own_vote("hh-0002") is None


def test_fingerprint_is_sha256_of_ballot_and_code() -> None:
    import hashlib

    assert receipt_fingerprint("b-1", "code") == hashlib.sha256(b"b-1:code").hexdigest()[:16]
    assert receipt_fingerprint("b-1", "code") != receipt_fingerprint("b-2", "code")


def test_receipts_are_random() -> None:
    b = ballot(electorate_size=50)
    receipts = vote_many(b, {"方案A": 50})
    assert len(set(receipts.values())) == 50


def test_votes_before_opening_and_after_closing_are_refused() -> None:
    b = ballot()
    with pytest.raises(Conflict, match="not open yet"):
        b.cast("hh-0001", "方案A", "user-wang", OPENS - timedelta(microseconds=1))
    with pytest.raises(Conflict, match="closed"):
        b.cast("hh-0001", "方案A", "user-wang", CLOSES)
    b.cast("hh-0001", "方案A", "user-wang", OPENS)  # the opening instant is inside the window
    assert b.votes_cast == 1


def test_votes_on_a_ballot_closed_early_are_refused() -> None:
    b = ballot()
    b.close(DURING, "supervisor", force=True)
    with pytest.raises(Conflict, match="closed"):
        b.cast("hh-0001", "方案A", "user-wang", DURING + timedelta(minutes=1))


def test_a_household_outside_the_electorate_is_refused() -> None:
    b = ballot()
    with pytest.raises(PermissionDenied):
        b.cast("hh-9999", "方案A", "stranger", DURING)
    assert b.votes_cast == 0


def test_an_unknown_option_is_refused() -> None:
    b = ballot()
    with pytest.raises(InvalidInput, match="not an option"):
        b.cast("hh-0001", "方案D", "user-wang", DURING)
    with pytest.raises(InvalidInput, match="not an option"):
        b.cast("hh-0001", " 方案A", "user-wang", DURING)


def test_another_member_replaces_the_household_vote_instead_of_adding() -> None:
    b = ballot()
    _, first = b.cast("hh-0001", "方案A", "user-wang", DURING)
    b.cast("hh-0002", "方案A", "user-li", DURING)
    assert b.tally().tally == {"方案A": 2, "方案B": 0, "方案C": 0}

    vote, second = b.cast("hh-0001", "方案B", "user-wang-spouse", DURING + timedelta(hours=1))
    assert b.tally().tally == {"方案A": 1, "方案B": 1, "方案C": 0}
    assert b.votes_cast == 2
    assert b.own_vote("hh-0001") == vote
    assert vote.cast_by == "user-wang-spouse"

    result = b.close(AFTER, "system")
    assert verify_receipt(result, "b-1", first) is None  # the old receipt is void
    assert verify_receipt(result, "b-1", second) == "方案B"
    assert verify_receipt(result, "b-2", second) is None  # a receipt belongs to its ballot
    assert verify_receipt(result, "b-1", "made-up-code") is None


def test_voting_again_for_the_same_option_still_voids_the_old_receipt() -> None:
    b = ballot()
    _, first = b.cast("hh-0001", "方案A", "user-wang", DURING)
    _, second = b.cast("hh-0001", "方案A", "user-wang", DURING)
    result = b.close(AFTER, "system")
    assert result.tally["方案A"] == 1
    assert verify_receipt(result, "b-1", first) is None
    assert verify_receipt(result, "b-1", second) == "方案A"


# --- quorum --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("electorate_size", "quorum_bps", "voters", "met"),
    [
        (100, 5000, 50, True),
        (100, 5000, 49, False),
        (3, 6666, 2, True),  # 2/3 = 6666.67 bps
        (3, 6667, 2, False),  # bps cannot state two thirds exactly: 6667 asks for more than 2 of 3
        (7, 10000, 7, True),
        (7, 10000, 6, False),
        (7, 0, 0, True),
        (10, 1, 1, True),
        (10000, 1, 1, True),  # one basis point of 10000 households is one household
        (10001, 1, 1, False),  # ... and of 10001 it is more than one
        (10001, 1, 2, True),
    ],
)
def test_quorum_boundary(electorate_size: int, quorum_bps: int, voters: int, met: bool) -> None:
    b = ballot(electorate_size=electorate_size, quorum_bps=quorum_bps, threshold=ThresholdKind.PLURALITY)
    vote_many(b, {"方案A": voters})
    result = b.close(AFTER, "system")
    assert result.quorum_met is met
    assert result.votes_cast == voters
    assert result.electorate_size == electorate_size
    assert result.adopted_option == ("方案A" if met and voters else None)


def test_a_failed_quorum_adopts_nothing_even_if_unanimous() -> None:
    b = ballot(electorate_size=10, quorum_bps=5000)
    vote_many(b, {"方案A": 4})
    result = b.close(AFTER, "system")
    assert result.quorum_met is False
    assert result.tally["方案A"] == 4
    assert result.adopted_option is None


# --- thresholds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "adopted"),
    [
        ({"方案A": 2, "方案B": 1}, "方案A"),  # exactly two thirds of 3
        ({"方案A": 66, "方案B": 34}, None),  # 66 of 100 < 2/3
        ({"方案A": 67, "方案B": 33}, "方案A"),  # 67 of 100 >= 2/3
        ({"方案A": 4, "方案B": 2}, "方案A"),  # 4 of 6, exactly
        ({"方案A": 3, "方案B": 2}, None),
    ],
)
def test_two_thirds_of_votes_cast(counts: dict[str, int], adopted: str | None) -> None:
    b = ballot(electorate_size=200, threshold=ThresholdKind.TWO_THIRDS, threshold_base=ThresholdBase.VOTES_CAST)
    vote_many(b, counts)
    assert b.close(AFTER, "system").adopted_option == adopted


@pytest.mark.parametrize(
    ("electorate_size", "yes", "no", "adopted"),
    [
        (3, 2, 0, "方案A"),  # two of three households
        (3, 2, 1, "方案A"),
        (100, 66, 0, None),  # all 66 voters agree, but 66 households of 100 is short of two thirds
        (100, 67, 0, "方案A"),
        (100, 67, 33, "方案A"),
        (300, 199, 0, None),
        (300, 200, 0, "方案A"),
    ],
)
def test_two_thirds_of_all_households(electorate_size: int, yes: int, no: int, adopted: str | None) -> None:
    b = ballot(
        electorate_size=electorate_size,
        threshold=ThresholdKind.TWO_THIRDS,
        threshold_base=ThresholdBase.ALL_HOUSEHOLDS,
    )
    vote_many(b, {"方案A": yes, "方案B": no})
    assert b.close(AFTER, "system").adopted_option == adopted


def test_the_base_decides_the_same_votes_differently() -> None:
    counts = {"方案A": 66, "方案B": 0}
    of_votes = ballot(100, threshold=ThresholdKind.TWO_THIRDS, threshold_base=ThresholdBase.VOTES_CAST)
    of_households = ballot(100, threshold=ThresholdKind.TWO_THIRDS, threshold_base=ThresholdBase.ALL_HOUSEHOLDS)
    vote_many(of_votes, counts)
    vote_many(of_households, counts)
    assert of_votes.close(AFTER, "system").adopted_option == "方案A"
    assert of_households.close(AFTER, "system").adopted_option is None


@pytest.mark.parametrize(
    ("counts", "adopted"),
    [
        ({"方案A": 3, "方案B": 1}, "方案A"),  # exactly three quarters
        ({"方案A": 74, "方案B": 26}, None),
        ({"方案A": 75, "方案B": 25}, "方案A"),
        ({"方案A": 5, "方案B": 2}, None),  # 5 of 7 = 71%
    ],
)
def test_three_quarters_of_votes_cast(counts: dict[str, int], adopted: str | None) -> None:
    b = ballot(electorate_size=200, threshold=ThresholdKind.THREE_QUARTERS)
    vote_many(b, counts)
    assert b.close(AFTER, "system").adopted_option == adopted


def test_three_quarters_of_all_households() -> None:
    b = ballot(electorate_size=4, threshold=ThresholdKind.THREE_QUARTERS, threshold_base=ThresholdBase.ALL_HOUSEHOLDS)
    vote_many(b, {"方案A": 2})
    assert b.tally().adopted_option is None
    b.cast("hh-0003", "方案A", "owner", DURING)
    assert b.close(AFTER, "system").adopted_option == "方案A"


@pytest.mark.parametrize(
    ("counts", "adopted"),
    [
        ({"方案A": 2, "方案B": 2}, None),  # a tie is not a majority
        ({"方案A": 3, "方案B": 2}, "方案A"),
        ({"方案A": 2, "方案B": 1, "方案C": 1}, None),  # half is not more than half
        ({"方案A": 3, "方案B": 1, "方案C": 1}, "方案A"),
    ],
)
def test_simple_majority_of_votes_cast(counts: dict[str, int], adopted: str | None) -> None:
    b = ballot(electorate_size=20, threshold=ThresholdKind.SIMPLE_MAJORITY)
    vote_many(b, counts)
    assert b.close(AFTER, "system").adopted_option == adopted


def test_simple_majority_of_all_households() -> None:
    b = ballot(electorate_size=10, threshold=ThresholdKind.SIMPLE_MAJORITY, threshold_base=ThresholdBase.ALL_HOUSEHOLDS)
    vote_many(b, {"方案A": 5})
    assert b.tally().adopted_option is None  # 5 of 10 households is not more than half
    b.cast("hh-0009", "方案A", "owner", DURING)
    assert b.close(AFTER, "system").adopted_option == "方案A"


@pytest.mark.parametrize(
    ("counts", "adopted"),
    [
        ({"方案A": 2, "方案B": 2, "方案C": 1}, None),  # tie at the top
        ({"方案A": 2, "方案B": 1, "方案C": 1}, "方案A"),
        ({"方案A": 1, "方案B": 3, "方案C": 2}, "方案B"),  # a plurality without a majority is enough
        ({"方案A": 1}, "方案A"),
        ({}, None),  # nobody voted: all tied at zero
    ],
)
def test_plurality(counts: dict[str, int], adopted: str | None) -> None:
    b = ballot(electorate_size=20, threshold=ThresholdKind.PLURALITY)
    vote_many(b, counts)
    assert b.close(AFTER, "system").adopted_option == adopted


def test_no_votes_adopts_nothing_under_any_threshold() -> None:
    for kind in ThresholdKind:
        for base in ThresholdBase:
            b = ballot(electorate_size=3, threshold=kind, threshold_base=base)
            result = b.close(AFTER, "system")
            assert result.quorum_met is True
            assert result.adopted_option is None
            assert result.tally == dict.fromkeys(PLANS, 0)


def test_meets_threshold_is_exact() -> None:
    assert meets_threshold(2, 3, ThresholdKind.TWO_THIRDS)
    assert not meets_threshold(666_666, 1_000_000, ThresholdKind.TWO_THIRDS)
    assert meets_threshold(666_667, 1_000_000, ThresholdKind.TWO_THIRDS)
    assert not meets_threshold(0, 0, ThresholdKind.TWO_THIRDS)
    with pytest.raises(InvalidInput):
        meets_threshold(1, 1, ThresholdKind.PLURALITY)


# --- closing -------------------------------------------------------------------------------------


def test_closing_before_the_closing_time_must_be_forced() -> None:
    b = ballot()
    vote_many(b, {"方案A": 3})
    with pytest.raises(Conflict, match="forced"):
        b.close(DURING, "supervisor")
    assert b.closed_at is None
    assert b.status(DURING) is BallotStatus.OPEN

    result = b.close(DURING, "supervisor", force=True)
    assert b.closed_at == DURING
    assert b.closed_by == "supervisor"
    assert b.status(DURING) is BallotStatus.CLOSED
    assert result.adopted_option == "方案A"


def test_closing_is_idempotent_and_records_when_voting_stopped() -> None:
    b = ballot()
    vote_many(b, {"方案A": 2, "方案B": 1})
    first = b.close(AFTER, "system")
    assert b.closed_at == CLOSES  # a late sweep still closes at the closing time
    assert b.close(AFTER + timedelta(days=1), "someone-else") is first
    assert b.closed_by == "system"
    assert b.result is first


def test_result_is_none_while_open_and_counted_after_the_closing_time() -> None:
    b = ballot()
    vote_many(b, {"方案B": 1})
    assert b.result_at(DURING) is None
    counted = b.result_at(AFTER)
    assert counted is not None
    assert counted.adopted_option == "方案B"
    assert b.closed_at is None  # counting on read does not close; the lead's sweep calls close()
    assert b.close(AFTER, "system") == counted


def test_a_ballot_restored_from_storage_counts_the_same() -> None:
    b = ballot()
    _, receipt = b.cast("hh-0001", "方案C", "user-wang", DURING)
    vote_many(b, {"方案A": 1})
    stored_votes = {h: v for h in b.electorate if (v := b.own_vote(h)) is not None}
    restored = Ballot("b-1", "jinhe-lvzhou", b.terms, b.electorate, stored_votes, closed_at=CLOSES)
    assert restored.result == b.close(AFTER, "system")
    assert restored.result is not None
    assert verify_receipt(restored.result, "b-1", receipt) == "方案C"
    assert BallotResult.from_dict(restored.result.as_dict()) == restored.result


def test_restoring_refuses_inconsistent_votes() -> None:
    b = ballot()
    vote, _ = b.cast("hh-0001", "方案A", "user-wang", DURING)
    with pytest.raises(InvalidInput, match="another household"):
        Ballot("b-1", "jinhe-lvzhou", b.terms, b.electorate, {"hh-0002": vote})
    with pytest.raises(InvalidInput, match="outside the electorate"):
        Ballot("b-1", "jinhe-lvzhou", b.terms, frozenset({"hh-0002"}), {"hh-0001": vote})
    with pytest.raises(InvalidInput, match="closing time"):
        Ballot("b-1", "jinhe-lvzhou", b.terms, b.electorate, result=b.tally())


# --- audit ---------------------------------------------------------------------------------------


def test_audit_lists_match_the_tally_and_hold_no_household_ids() -> None:
    b = ballot(electorate_size=12)
    receipts = vote_many(b, {"方案A": 5, "方案B": 4, "方案C": 0})
    b.cast("hh-0000", "方案C", "spouse", DURING)  # moves one vote from A to C
    result = b.close(AFTER, "system")
    assert result.tally == {"方案A": 4, "方案B": 4, "方案C": 1}
    assert {option: len(fps) for option, fps in result.audit.items()} == result.tally
    assert sum(result.tally.values()) == result.votes_cast == 9
    published = repr(result.as_dict())
    for household in b.electorate:
        assert household not in published
    for code in receipts.values():
        assert code not in published  # only fingerprints are published
    for fingerprints in result.audit.values():
        assert fingerprints == sorted(fingerprints)


# --- property ------------------------------------------------------------------------------------


def reference_adoption(terms_: BallotTerms, tally: dict[str, int], electorate_size: int) -> str | None:
    """An independent statement of the rules with exact fractions."""
    votes_cast = sum(tally.values())
    if Fraction(votes_cast, electorate_size) < Fraction(terms_.quorum_bps, 10000):
        return None
    if terms_.threshold is ThresholdKind.PLURALITY:
        best = max(tally.values())
        leaders = [o for o, c in tally.items() if c == best]
        return leaders[0] if best and len(leaders) == 1 else None
    base = votes_cast if terms_.threshold_base is ThresholdBase.VOTES_CAST else electorate_size
    if base == 0:
        return None
    needed = {
        ThresholdKind.SIMPLE_MAJORITY: Fraction(1, 2),
        ThresholdKind.TWO_THIRDS: Fraction(2, 3),
        ThresholdKind.THREE_QUARTERS: Fraction(3, 4),
    }[terms_.threshold]
    for option, count in tally.items():
        share = Fraction(count, base)
        if count and (share > needed if terms_.threshold is ThresholdKind.SIMPLE_MAJORITY else share >= needed):
            return option
    return None


@settings(max_examples=200, deadline=None)
@given(
    electorate_size=st.integers(min_value=1, max_value=15),
    option_count=st.integers(min_value=2, max_value=4),
    quorum_bps=st.integers(min_value=0, max_value=10000),
    kind=st.sampled_from(list(ThresholdKind)),
    base=st.sampled_from(list(ThresholdBase)),
    casts=st.lists(
        st.tuples(st.integers(min_value=0, max_value=14), st.integers(min_value=0, max_value=3), st.booleans()),
        max_size=40,
    ),
)
def test_random_votes_keep_the_count_honest(
    electorate_size: int,
    option_count: int,
    quorum_bps: int,
    kind: ThresholdKind,
    base: ThresholdBase,
    casts: list[tuple[int, int, bool]],
) -> None:
    options = tuple(f"opt-{i}" for i in range(option_count))
    b = ballot(electorate_size, options=options, quorum_bps=quorum_bps, threshold=kind, threshold_base=base)
    latest: dict[str, tuple[str, str]] = {}  # household -> (option, receipt)
    voided: list[str] = []
    for household_index, option_index, by_spouse in casts:
        household = f"hh-{household_index:04d}"
        option = options[option_index % option_count]
        member = f"{household}-{'spouse' if by_spouse else 'owner'}"
        if household_index >= electorate_size:
            with pytest.raises(PermissionDenied):
                b.cast(household, option, member, DURING)
            continue
        _, receipt = b.cast(household, option, member, DURING)
        if household in latest:
            voided.append(latest[household][1])
        latest[household] = (option, receipt)

    result = b.close(AFTER, "system")

    assert set(result.tally) == set(options)
    assert sum(result.tally.values()) == result.votes_cast == len(latest)
    assert {o: len(fps) for o, fps in result.audit.items()} == result.tally
    expected = {o: sum(1 for chosen, _ in latest.values() if chosen == o) for o in options}
    assert result.tally == expected
    for option, receipt in latest.values():
        assert verify_receipt(result, "b-1", receipt) == option
    for receipt in voided:
        assert verify_receipt(result, "b-1", receipt) is None
    assert result.quorum_met is (Fraction(len(latest), electorate_size) >= Fraction(quorum_bps, 10000))
    assert result.adopted_option == reference_adoption(b.terms, result.tally, electorate_size)
    fingerprints = [fp for fps in result.audit.values() for fp in fps]
    assert len(set(fingerprints)) == len(fingerprints)
    assert not set(fingerprints) & b.electorate
