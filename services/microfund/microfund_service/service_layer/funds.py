"""Use cases of a community's micro-fund: its opening, pledges from the ledger's events, money
received, grants from application to closing, and the public statement.

Every step that moves money posts into the fund's book in the ledger first, under an idempotency
key derived from what it records (a pledge: its estate and month; a donation or a grant step: the
request's key or the grant and its step), then records it here in one transaction with its event;
a retry after any failure posts nothing twice. Money steps of one fund take the fund's row lock, so
two disbursements cannot both spend the last of its cash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from microfund_service.adapters.funds import Fund, FundRepository, StoredDonation, StoredFile, scope_of
from microfund_service.domain import fund as rules
from microfund_service.domain.fund import (
    Application,
    CouncilRule,
    Donation,
    DonorKind,
    FirmAccount,
    Grant,
    GrantStatus,
    Pledge,
)
from xinyi.microfund.v1 import events_pb2
from xinyi_shared.auth import Principal, Role
from xinyi_shared.blobs import BlobStore, MediaType
from xinyi_shared.db import Database, Executor, set_estate
from xinyi_shared.errors import Conflict, InvalidInput, NotFound, PermissionDenied, XinyiError
from xinyi_shared.kafka_topics import MICROFUND_EVENTS
from xinyi_shared.outbox import publish

EVENT_SOURCE = "xinyi/microfund"
log = logging.getLogger(__name__)
FILE_TYPES = frozenset({MediaType.PDF, MediaType.PNG, MediaType.JPEG, MediaType.WEBP})


class Books(Protocol):
    def open_book(self, community_code: str, name: str) -> None: ...

    def post(self, community_code: str, key: str, kind: str, memo: str, lines: tuple[tuple[str, int], ...]) -> str: ...

    def balances(self, community_code: str) -> dict[str, int]: ...

    def publish_checkpoint(self, community_code: str) -> tuple[int, str]: ...


@dataclass
class Microfund:
    database: Database
    books: Books
    store: BlobStore


class FundWork:
    """One transaction inside a fund's scope (row-level security: ``community:<code>``)."""

    def __init__(self, database: Database, community_code: str) -> None:
        self.database = database
        self.community = community_code

    def __enter__(self) -> FundWork:
        self._session_cm = self.database.estate_session(scope_of(self.community))
        self.session = self._session_cm.__enter__()
        self.funds = FundRepository(self.session, self.community)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._session_cm.__exit__(*exc)

    def publish(self, message: Any) -> None:
        publish(self.session, MICROFUND_EVENTS, EVENT_SOURCE, scope_of(self.community), message)


def sign_log(books: Books, community: str) -> None:
    """Sign the fund's log after money moved, so households can verify it at once. Best effort: the
    entry is already committed, and the next step (or any later one) signs it if this one fails."""
    try:
        books.publish_checkpoint(community)
    except XinyiError as error:
        log.warning("the fund's checkpoint was not signed now", extra={"community": community, "error": str(error)})


def _key(*parts: str) -> str:
    return "mf-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:48]


def _fingerprint(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _fund(work: FundWork, *, for_update: bool = False) -> Fund:
    found = work.funds.fund(for_update=for_update)
    if found is None:
        raise NotFound(f"community {work.community!r} has no micro-fund")
    return found


def _open_book(books: Books, funds: FundRepository) -> None:
    """Open the fund's book in the ledger before its first posting (a fund made before its book
    could be opened, or by the backfill of earlier estates); idempotent in the ledger."""
    fund = funds.fund()
    if fund is not None and not fund.book_open:
        books.open_book(funds.community, fund.name)
        funds.book_opened()


# Who ----------------------------------------------------------------------------------------------


def member_estates(work: FundWork, principal: Principal) -> list[str]:
    """The estates of this community the caller belongs to; 403 when none (platform roles: all)."""
    estates = work.funds.estates()
    if principal.is_service or principal.has_role(Role.PLATFORM_ADMIN):
        return estates
    mine = sorted(set(estates) & principal.estates)
    if not mine:
        raise PermissionDenied("the token is not scoped to an estate of this community")
    return mine


def require_officer(work: FundWork, principal: Principal) -> None:
    member_estates(work, principal)
    if not principal.has_role(Role.COMMUNITY_OFFICER):
        raise PermissionDenied("only the community officer manages the fund")


# Opening and pledges (from events) ----------------------------------------------------------------


def join(session: Executor, books: Books, estate_code: str, community_code: str) -> None:
    """An estate onboarded: its community's fund exists (opened in the ledger once) and counts it."""
    set_estate(session, scope_of(community_code))
    funds = FundRepository(session, community_code)
    name = f"{community_code} 社区微基金"
    funds.add_fund_if_missing(name, CouncilRule())
    funds.add_estate(estate_code)
    fund = funds.fund()
    if fund is not None and not fund.book_open:
        books.open_book(community_code, fund.name)
        funds.book_opened()


def pledge_declared(session: Executor, books: Books, pledge: Pledge, community_code: str) -> bool:
    """The ledger declared an estate's donation at its month close: the firm pledges it (once per
    estate and month, however often the event arrives)."""
    set_estate(session, scope_of(community_code))
    funds = FundRepository(session, community_code)
    if funds.fund() is None:
        raise NotFound(f"community {community_code!r} has no micro-fund yet")
    _open_book(books, funds)
    transaction = books.post(
        community_code,
        _key("pledge", pledge.estate_code, pledge.period),
        "pledge",
        f"Donation pledged by the firm of {pledge.estate_code} for {pledge.period}",
        rules.pledge_lines(pledge.amount_fen),
    )
    if not funds.add_pledge(pledge, transaction):
        return False
    publish(
        session,
        MICROFUND_EVENTS,
        EVENT_SOURCE,
        scope_of(community_code),
        events_pb2.DonationPledged(
            community_code=community_code,
            estate_code=pledge.estate_code,
            period=pledge.period,
            amount_fen=pledge.amount_fen,
            pledge_id=f"{pledge.estate_code}:{pledge.period}",
        ),
    )
    return True


# Money received -----------------------------------------------------------------------------------


def record_donation(
    app: Microfund, community: str, principal: Principal, donation: Donation, key: str
) -> tuple[StoredDonation, bool]:
    """The officer records money that arrived (a firm's transfer against its pledges, or another
    donation); with the same key a retry answers the first record."""
    with FundWork(app.database, community) as work:
        require_officer(work, principal)
        _fund(work, for_update=True)
        first = work.funds.claim_key(key, _fingerprint(["donation", donation]))
        if first is not None:
            return _donation(work, str(first["donation_id"])), True
        if donation.source is DonorKind.FIRM:
            if donation.estate_code not in work.funds.estates():
                raise InvalidInput(f"estate {donation.estate_code} is not of this community")
            owed = {a.estate_code: a.outstanding_fen for a in _firm_accounts(work)}
            rules.check_transfer(donation, owed.get(str(donation.estate_code), 0))
        _open_book(app.books, work.funds)
        donation_id = str(uuid.uuid4())
        kind = "firm_transfer" if donation.source is DonorKind.FIRM else "donation"
        transaction = app.books.post(
            community, _key("donation", community, key), kind, f"{kind} {donation_id}", donation.lines
        )
        work.funds.add_donation(donation_id, donation, transaction, principal.subject, key)
        work.funds.answer_key(key, {"donation_id": donation_id})
        work.publish(
            events_pb2.DonationReceived(
                community_code=community,
                donation_id=donation_id,
                source=donation.source.value,
                estate_code=donation.estate_code or "",
                amount_fen=donation.amount_fen,
                anonymous=donation.anonymous,
            )
        )
        stored = _donation(work, donation_id)
    sign_log(app.books, community)
    return stored, False


def _donation(work: FundWork, donation_id: str) -> StoredDonation:
    found = next((d for d in work.funds.donations() if d.id == donation_id), None)
    if found is None:
        raise NotFound("no such donation")
    return found


def _firm_accounts(work: FundWork) -> list[FirmAccount]:
    return rules.firm_accounts(work.funds.pledges(), [d.donation for d in work.funds.donations()])


# Files --------------------------------------------------------------------------------------------


def upload_file(app: Microfund, community: str, principal: Principal, data: bytes, file_name: str) -> StoredFile:
    """An attachment, receipt or photo (PDF, PNG, JPEG, WebP checked from the bytes) for the fund."""
    with FundWork(app.database, community) as work:
        member_estates(work, principal)
    blob = app.store.put(data, allowed=FILE_TYPES)
    stored = StoredFile(blob.sha256, blob.size, blob.media_type.value, (file_name or "")[:200])
    with FundWork(app.database, community) as work:
        work.funds.add_file(stored, principal.subject)
    return stored


def fund_file(app: Microfund, community: str, principal: Principal, sha256: str) -> tuple[StoredFile, bytes]:
    with FundWork(app.database, community) as work:
        member_estates(work, principal)
        stored = work.funds.files([sha256]).get(sha256)
    if stored is None:
        raise NotFound("no such file in this fund")
    return stored, app.store.get(sha256)


def _check_files(work: FundWork, shas: Sequence[str]) -> None:
    known = work.funds.files(list(shas))
    missing = [sha for sha in shas if sha not in known]
    if missing:
        raise InvalidInput(f"file(s) {', '.join(missing)} were not uploaded to this fund first")


# Grants -------------------------------------------------------------------------------------------


def apply_for_grant(
    app: Microfund, community: str, principal: Principal, application: Application, key: str | None
) -> tuple[Grant, int, bool]:
    """A resident (for itself or a resident group) or an estate's supervisor applies."""
    allowed = {
        rules.ApplicantKind.RESIDENT: Role.RESIDENT,
        rules.ApplicantKind.RESIDENT_GROUP: Role.RESIDENT,
        rules.ApplicantKind.SUPERVISOR: Role.SUPERVISOR,
    }[application.applicant_kind]
    with FundWork(app.database, community) as work:
        mine = member_estates(work, principal)
        if not principal.has_role(allowed) or principal.is_service:
            raise PermissionDenied(f"a {application.applicant_kind.value} application is made by a {allowed}")
        _fund(work)
        if key is not None:
            first = work.funds.claim_key(key, _fingerprint(["apply", principal.subject, application]))
            if first is not None:
                found = work.funds.grant(str(first["grant_id"]))
                assert found is not None
                return found[0], found[1], True
        grant = rules.apply(str(uuid.uuid4()), community, application, principal.subject, mine[0], work.funds.estates())
        _check_files(work, application.attachments)
        number = work.funds.add_grant(grant)
        work.funds.record(grant.id, "applied", principal.subject, {"amount_fen": grant.amount_fen})
        if key is not None:
            work.funds.answer_key(key, {"grant_id": grant.id})
        work.publish(
            events_pb2.GrantApplied(
                community_code=community,
                grant_id=grant.id,
                amount_fen=grant.amount_fen,
                benefiting_estates=list(application.benefiting_estates),
            )
        )
    return grant, number, False


def _grant(work: FundWork, grant_id: str, *, for_update: bool = False) -> tuple[Grant, int]:
    found = work.funds.grant(grant_id, for_update=for_update)
    if found is None:
        raise NotFound("no such grant in this fund")
    return found


def _approved(app: Microfund, work: FundWork, grant: Grant) -> None:
    """A grant just approved: its amount is committed in the books, and announced."""
    _open_book(app.books, work.funds)
    app.books.post(
        work.community,
        _key("grant-approved", grant.id),
        "grant_approved",
        f"Grant {grant.id} approved ({grant.decided_by})",
        rules.approval_lines(grant.approved_fen),
    )


def _decided(work: FundWork, grant: Grant, ballot_id: str = "") -> None:
    work.publish(
        events_pb2.GrantDecided(
            community_code=work.community,
            grant_id=grant.id,
            approved=grant.status is GrantStatus.APPROVED,
            amount_fen=grant.approved_fen or grant.amount_fen,
            decided_by=grant.decided_by or "",
            ballot_id=ballot_id,
        )
    )


def review_grant(
    app: Microfund, community: str, principal: Principal, grant_id: str, approve: bool, note: str
) -> tuple[Grant, int]:
    with FundWork(app.database, community) as work:
        require_officer(work, principal)
        fund = _fund(work, for_update=True)
        grant, number = _grant(work, grant_id, for_update=True)
        reviewed = rules.review(grant, fund.rule, approve, note)
        if reviewed.status is GrantStatus.APPROVED:
            _approved(app, work, reviewed)
        work.funds.save_grant(reviewed)
        work.funds.record(
            grant_id, f"reviewed:{reviewed.status.value}", principal.subject, {"note": reviewed.decision_note}
        )
        if reviewed.status in (GrantStatus.APPROVED, GrantStatus.REJECTED):
            _decided(work, reviewed)
    if reviewed.status is GrantStatus.APPROVED:
        sign_log(app.books, community)
    return reviewed, number


def ballot_opened(session: Executor, community: str, grant_id: str, estate_code: str, ballot_id: str) -> None:
    set_estate(session, scope_of(community))
    funds = FundRepository(session, community)
    found = funds.grant(grant_id, for_update=True)
    if found is None:
        return  # not this community's grant: nothing to decide here
    try:
        opened = rules.ballot_opened(found[0], estate_code, ballot_id)
    except Conflict:
        return  # a ballot that does not decide this grant (recorded by the tenant, ignored here)
    funds.save_grant(opened)
    funds.record(grant_id, "ballot_opened", "tenant", {"estate": estate_code, "ballot_id": ballot_id})


def ballot_closed(
    session: Executor, books: Books, community: str, grant_id: str, estate_code: str, ballot_id: str, adopted: str
) -> None:
    set_estate(session, scope_of(community))
    funds = FundRepository(session, community)
    found = funds.grant(grant_id, for_update=True)
    if found is None:
        return
    before = found[0]
    after = rules.ballot_closed(before, estate_code, ballot_id, adopted)
    if after == before:
        return
    if after.status is GrantStatus.APPROVED and before.status is not GrantStatus.APPROVED:
        _open_book(books, funds)
        books.post(
            community,
            _key("grant-approved", after.id),
            "grant_approved",
            f"Grant {after.id} approved (ballot)",
            rules.approval_lines(after.approved_fen),
        )
    funds.save_grant(after)
    funds.record(
        grant_id, "ballot_closed", "tenant", {"estate": estate_code, "ballot_id": ballot_id, "adopted": adopted}
    )
    if after.status is not before.status:
        publish(
            session,
            MICROFUND_EVENTS,
            EVENT_SOURCE,
            scope_of(community),
            events_pb2.GrantDecided(
                community_code=community,
                grant_id=after.id,
                approved=after.status is GrantStatus.APPROVED,
                amount_fen=after.amount_fen,
                decided_by="ballot",
                ballot_id=ballot_id,
            ),
        )


def disburse_grant(
    app: Microfund,
    community: str,
    principal: Principal,
    grant_id: str,
    amount_fen: int,
    receipt: str,
    paid_on: date,
    key: str,
) -> tuple[Grant, int, bool]:
    """Pay an instalment with its receipt, never beyond the approved amount or the fund's cash."""
    with FundWork(app.database, community) as work:
        require_officer(work, principal)
        _fund(work, for_update=True)
        first = work.funds.claim_key(key, _fingerprint(["disburse", grant_id, amount_fen, receipt, paid_on]))
        grant, number = _grant(work, grant_id, for_update=True)
        if first is not None:
            return grant, number, True
        _check_files(work, [receipt])
        cash = app.books.balances(community).get(rules.CASH, 0)
        paid = rules.disburse(grant, amount_fen, receipt, paid_on, cash)
        instalment = paid.instalments[-1]
        app.books.post(
            community,
            _key("grant-disbursed", grant.id, str(instalment.number)),
            "grant_disbursed",
            f"Grant {grant.id}, instalment {instalment.number}",
            rules.disbursement_lines(amount_fen),
        )
        work.funds.save_grant(paid)
        work.funds.answer_key(key, {"grant_id": grant_id})
        work.funds.record(
            grant_id, "disbursed", principal.subject, {"instalment": instalment.number, "amount_fen": amount_fen}
        )
        work.publish(
            events_pb2.GrantDisbursed(
                community_code=community,
                grant_id=grant_id,
                instalment=instalment.number,
                amount_fen=amount_fen,
                receipt_sha256=receipt,
            )
        )
    sign_log(app.books, community)
    return paid, number, False


def close_grant(
    app: Microfund, community: str, principal: Principal, grant_id: str, report: str, photos: Sequence[str]
) -> tuple[Grant, int]:
    with FundWork(app.database, community) as work:
        require_officer(work, principal)
        _fund(work, for_update=True)
        grant, number = _grant(work, grant_id, for_update=True)
        _check_files(work, list(photos))
        closed, unpaid = rules.close(grant, report, photos)
        if unpaid:
            app.books.post(
                community,
                _key("grant-released", grant.id),
                "grant_released",
                f"Grant {grant.id} closed: {unpaid} fen not needed",
                rules.release_lines(unpaid),
            )
        work.funds.save_grant(closed)
        work.funds.record(grant_id, "closed", principal.subject, {"released_fen": unpaid})
        work.publish(
            events_pb2.GrantClosed(community_code=community, grant_id=grant_id, disbursed_fen=closed.disbursed_fen)
        )
    sign_log(app.books, community)
    return closed, number


def set_rule(app: Microfund, community: str, principal: Principal, rule: CouncilRule) -> Fund:
    with FundWork(app.database, community) as work:
        require_officer(work, principal)
        _fund(work, for_update=True)
        work.funds.set_rule(rule)
        return _fund(work)


# Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    fund: Fund
    estates: list[str]
    balances: dict[str, int]
    firms: list[FirmAccount]
    donations: list[StoredDonation]
    grants: list[tuple[Grant, int]]


def statement(app: Microfund, community: str, principal: Principal) -> Statement:
    """The fund's public statement, for everyone of the community's estates."""
    with FundWork(app.database, community) as work:
        member_estates(work, principal)
        fund = _fund(work)
        estates = work.funds.estates()
        firms = _firm_accounts(work)
        donations = work.funds.donations()
        grants = work.funds.grants()
    return Statement(fund, estates, app.books.balances(community), firms, donations, grants)


def donations_of(
    app: Microfund, community: str, principal: Principal, limit: int, offset: int
) -> tuple[int, list[StoredDonation]]:
    """How many donations the fund has received, and ``limit`` of them after ``offset``, newest first
    (the day received, then the latest recorded): the statement's donations, a page at a time, for
    everyone of the community's estates."""
    with FundWork(app.database, community) as work:
        member_estates(work, principal)
        donations = work.funds.donations_page(limit, offset)
        return work.funds.count_donations(), donations


def grants_of(
    app: Microfund, community: str, principal: Principal, limit: int | None = None, offset: int = 0
) -> tuple[int, list[tuple[Grant, int, bool]]]:
    """How many grants the fund has, and every one of them by number (or ``limit`` of them after
    ``offset``); True where the caller may see the application in full (its applicant, or the
    community officer); others see it without the applicant. Everyone of the community lists every
    grant (visibility masks a field, it hides no grant), so the count is of all the fund's grants."""
    with FundWork(app.database, community) as work:
        member_estates(work, principal)
        officer = principal.has_role(Role.COMMUNITY_OFFICER)
        grants = work.funds.grants(limit, offset)
        total = len(grants) if limit is None else work.funds.count_grants()
        return total, [(g, n, officer or g.applicant == principal.subject) for g, n in grants]


def grant_detail(
    app: Microfund, community: str, principal: Principal, grant_id: str
) -> tuple[Grant, int, bool, list[tuple[str, str, dict[str, Any], Any]]]:
    with FundWork(app.database, community) as work:
        member_estates(work, principal)
        grant, number = _grant(work, grant_id)
        full = principal.has_role(Role.COMMUNITY_OFFICER) or grant.applicant == principal.subject
        return grant, number, full, work.funds.history(grant_id)


FundStep = Callable[[FundWork], Any]
