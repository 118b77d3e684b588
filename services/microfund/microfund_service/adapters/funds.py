"""A community fund's rows in PostgreSQL (inside the fund's scope, ``community:<code>``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from microfund_service.domain.fund import (
    ApplicantKind,
    Application,
    BudgetItem,
    CouncilRule,
    Donation,
    DonorKind,
    Grant,
    GrantStatus,
    Instalment,
    Pledge,
)
from xinyi_shared.db import Executor, sql
from xinyi_shared.errors import Conflict


def scope_of(community_code: str) -> str:
    return f"community:{community_code}"


@dataclass(frozen=True)
class Fund:
    community_code: str
    name: str
    rule: CouncilRule
    book_open: bool


@dataclass(frozen=True)
class StoredDonation:
    id: str
    donation: Donation
    ledger_transaction: str


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    file_name: str


def grant_json(grant: Grant) -> dict[str, Any]:
    a = grant.application
    return {
        "id": grant.id,
        "community_code": grant.community_code,
        "application": {
            "title": a.title,
            "purpose": a.purpose,
            "budget": [{"item": b.item, "amount_fen": b.amount_fen} for b in a.budget],
            "benefiting_estates": list(a.benefiting_estates),
            "applicant_kind": a.applicant_kind.value,
            "group_name": a.group_name,
            "attachments": list(a.attachments),
        },
        "applicant": grant.applicant,
        "applicant_estate": grant.applicant_estate,
        "status": grant.status.value,
        "approved_fen": grant.approved_fen,
        "decided_by": grant.decided_by,
        "decision_note": grant.decision_note,
        "ballots": dict(grant.ballots),
        "ballot_results": dict(grant.ballot_results),
        "instalments": [
            {"number": i.number, "amount_fen": i.amount_fen, "receipt": i.receipt, "paid_on": i.paid_on.isoformat()}
            for i in grant.instalments
        ],
        "report": grant.report,
        "report_photos": list(grant.report_photos),
    }


def grant_from_json(data: dict[str, Any]) -> Grant:
    a = data["application"]
    return Grant(
        id=data["id"],
        community_code=data["community_code"],
        application=Application(
            title=a["title"],
            purpose=a["purpose"],
            budget=tuple(BudgetItem(b["item"], b["amount_fen"]) for b in a["budget"]),
            benefiting_estates=tuple(a["benefiting_estates"]),
            applicant_kind=ApplicantKind(a["applicant_kind"]),
            group_name=a.get("group_name"),
            attachments=tuple(a.get("attachments", ())),
        ),
        applicant=data["applicant"],
        applicant_estate=data["applicant_estate"],
        status=GrantStatus(data["status"]),
        approved_fen=data["approved_fen"],
        decided_by=data.get("decided_by"),
        decision_note=data.get("decision_note", ""),
        ballots=dict(data.get("ballots", {})),
        ballot_results=dict(data.get("ballot_results", {})),
        instalments=tuple(
            Instalment(i["number"], i["amount_fen"], i["receipt"], date.fromisoformat(i["paid_on"]))
            for i in data.get("instalments", ())
        ),
        report=data.get("report", ""),
        report_photos=tuple(data.get("report_photos", ())),
    )


class FundRepository:
    def __init__(self, session: Executor, community_code: str) -> None:
        self.session = session
        self.community = community_code
        self.scope = scope_of(community_code)

    # The fund and its estates -------------------------------------------------------------------

    def add_fund_if_missing(self, name: str, rule: CouncilRule) -> bool:
        row = self.session.execute(
            sql(
                "INSERT INTO funds (community_code, scope, name, threshold_fen) VALUES (:community, :scope, :name, "
                ":threshold) ON CONFLICT (community_code) DO NOTHING RETURNING community_code"
            ),
            {"community": self.community, "scope": self.scope, "name": name, "threshold": rule.threshold_fen},
        ).first()
        return row is not None

    def fund(self, *, for_update: bool = False) -> Fund | None:
        row = self.session.execute(
            sql(
                "SELECT name, threshold_fen, book_open FROM funds WHERE community_code = :community"
                + (" FOR UPDATE" if for_update else "")
            ),
            {"community": self.community},
        ).first()
        return None if row is None else Fund(self.community, row.name, CouncilRule(row.threshold_fen), row.book_open)

    def book_opened(self) -> None:
        self.session.execute(sql("UPDATE funds SET book_open = true WHERE community_code = :c"), {"c": self.community})

    def set_rule(self, rule: CouncilRule) -> None:
        self.session.execute(
            sql("UPDATE funds SET threshold_fen = :t WHERE community_code = :c"),
            {"t": rule.threshold_fen, "c": self.community},
        )

    def add_estate(self, estate_code: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO fund_estates (scope, estate_code) VALUES (:scope, :estate) "
                "ON CONFLICT (estate_code) DO NOTHING"
            ),
            {"scope": self.scope, "estate": estate_code},
        )

    def estates(self) -> list[str]:
        rows = self.session.execute(sql("SELECT estate_code FROM fund_estates ORDER BY estate_code")).all()
        return [row.estate_code for row in rows]

    # Pledges and donations ----------------------------------------------------------------------

    def add_pledge(self, pledge: Pledge, ledger_transaction: str) -> bool:
        row = self.session.execute(
            sql(
                "INSERT INTO pledges (scope, estate_code, period, amount_fen, source_transaction, ledger_transaction) "
                "VALUES (:scope, :estate, :period, :amount, :source, :ledger) "
                "ON CONFLICT (estate_code, period) DO NOTHING RETURNING estate_code"
            ),
            {
                "scope": self.scope,
                "estate": pledge.estate_code,
                "period": pledge.period,
                "amount": pledge.amount_fen,
                "source": pledge.source_transaction,
                "ledger": ledger_transaction,
            },
        ).first()
        return row is not None

    def pledges(self) -> list[Pledge]:
        rows = self.session.execute(
            sql("SELECT estate_code, period, amount_fen, source_transaction FROM pledges ORDER BY period, estate_code")
        ).all()
        return [Pledge(r.estate_code, r.period, r.amount_fen, r.source_transaction) for r in rows]

    def add_donation(self, donation_id: str, donation: Donation, ledger_transaction: str, by: str, key: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO donations (id, scope, source, estate_code, amount_fen, received_on, donor_name, anonymous, "
                "note, ledger_transaction, recorded_by, request_key) VALUES (:id, :scope, :source, :estate, :amount, "
                ":on, :name, :anonymous, :note, :ledger, :by, :key)"
            ),
            {
                "id": donation_id,
                "scope": self.scope,
                "source": donation.source.value,
                "estate": donation.estate_code,
                "amount": donation.amount_fen,
                "on": donation.received_on,
                "name": donation.donor_name,
                "anonymous": donation.anonymous,
                "note": donation.note,
                "ledger": ledger_transaction,
                "by": by,
                "key": key,
            },
        )

    _DONATION_COLUMNS = (
        "SELECT id, source, estate_code, amount_fen, received_on, donor_name, anonymous, note, "
        "ledger_transaction FROM donations"
    )

    @staticmethod
    def _stored_donation(r: Any) -> StoredDonation:
        return StoredDonation(
            r.id,
            Donation(
                DonorKind(r.source), r.amount_fen, r.received_on, r.estate_code, r.donor_name, r.anonymous, r.note
            ),
            r.ledger_transaction,
        )

    def donations(self) -> list[StoredDonation]:
        rows = self.session.execute(sql(self._DONATION_COLUMNS + " ORDER BY received_on, recorded_at")).all()
        return [self._stored_donation(r) for r in rows]

    def donations_page(self, limit: int, offset: int) -> list[StoredDonation]:
        """A page of the fund's donations, newest first: by the day received, then the latest recorded,
        the id breaking ties (a total order), ``limit`` after ``offset``. The fund's rows only, by
        row-level security (the session's scope)."""
        rows = self.session.execute(
            sql(
                self._DONATION_COLUMNS
                + " ORDER BY received_on DESC, recorded_at DESC, id DESC LIMIT :limit OFFSET :offset"
            ),
            {"limit": limit, "offset": offset},
        ).all()
        return [self._stored_donation(r) for r in rows]

    def count_donations(self) -> int:
        """How many donations :meth:`donations_page` pages through (the same rows: row-level security's)."""
        return int(self.session.execute(sql("SELECT count(*) FROM donations")).scalar_one())

    # Grants -------------------------------------------------------------------------------------

    def add_grant(self, grant: Grant) -> int:
        number = self.session.execute(
            sql("SELECT coalesce(max(number), 0) + 1 FROM grants WHERE scope = :scope"), {"scope": self.scope}
        ).scalar_one()
        self.session.execute(
            sql(
                "INSERT INTO grants (id, scope, number, status, applicant, applicant_estate, amount_fen, state) "
                "VALUES (:id, :scope, :number, :status, :applicant, :estate, :amount, CAST(:state AS jsonb))"
            ),
            {
                "id": grant.id,
                "scope": self.scope,
                "number": number,
                "status": grant.status.value,
                "applicant": grant.applicant,
                "estate": grant.applicant_estate,
                "amount": grant.amount_fen,
                "state": json.dumps(grant_json(grant), ensure_ascii=False),
            },
        )
        return int(number)

    def grant(self, grant_id: str, *, for_update: bool = False) -> tuple[Grant, int] | None:
        row = self.session.execute(
            sql("SELECT state, number FROM grants WHERE id = :id" + (" FOR UPDATE" if for_update else "")),
            {"id": grant_id},
        ).first()
        return None if row is None else (grant_from_json(row.state), int(row.number))

    def save_grant(self, grant: Grant) -> None:
        updated = self.session.execute(
            sql(
                "UPDATE grants SET status = :status, state = CAST(:state AS jsonb), version = version + 1, "
                "updated_at = now() WHERE id = :id"
            ),
            {"id": grant.id, "status": grant.status.value, "state": json.dumps(grant_json(grant), ensure_ascii=False)},
        )
        if getattr(updated, "rowcount", 1) != 1:
            raise Conflict("the grant changed meanwhile")

    def grants(self, limit: int | None = None, offset: int = 0) -> list[tuple[Grant, int]]:
        """The fund's grants by number (the id breaks ties: a total order); every one, or a page of
        ``limit`` after ``offset``. The fund's rows only, by row-level security (the session's scope)."""
        statement = "SELECT state, number FROM grants ORDER BY number, id"
        params: dict[str, Any] = {}
        if limit is not None:
            statement += " LIMIT :limit OFFSET :offset"
            params = {"limit": limit, "offset": offset}
        rows = self.session.execute(sql(statement), params).all()
        return [(grant_from_json(row.state), int(row.number)) for row in rows]

    def count_grants(self) -> int:
        """How many grants :meth:`grants` pages through (the same rows: row-level security's)."""
        return int(self.session.execute(sql("SELECT count(*) FROM grants")).scalar_one())

    def record(self, grant_id: str, action: str, actor: str, detail: dict[str, Any]) -> None:
        self.session.execute(
            sql(
                "INSERT INTO grant_history (scope, grant_id, action, actor, detail) "
                "VALUES (:scope, :grant, :action, :actor, CAST(:detail AS jsonb))"
            ),
            {"scope": self.scope, "grant": grant_id, "action": action, "actor": actor, "detail": json.dumps(detail)},
        )

    def history(self, grant_id: str) -> list[tuple[str, str, dict[str, Any], Any]]:
        rows = self.session.execute(
            sql("SELECT action, actor, detail, at FROM grant_history WHERE grant_id = :grant ORDER BY id"),
            {"grant": grant_id},
        ).all()
        return [(r.action, r.actor, r.detail, r.at) for r in rows]

    # Files and keys -----------------------------------------------------------------------------

    def add_file(self, stored: StoredFile, by: str) -> None:
        self.session.execute(
            sql(
                "INSERT INTO fund_files (scope, sha256, size, media_type, file_name, uploaded_by) "
                "VALUES (:scope, :sha, :size, :type, :name, :by) ON CONFLICT (scope, sha256) DO NOTHING"
            ),
            {
                "scope": self.scope,
                "sha": stored.sha256,
                "size": stored.size,
                "type": stored.media_type,
                "name": stored.file_name,
                "by": by,
            },
        )

    def files(self, shas: list[str]) -> dict[str, StoredFile]:
        if not shas:
            return {}
        rows = self.session.execute(
            sql("SELECT sha256, size, media_type, file_name FROM fund_files WHERE sha256 = ANY(:shas)"),
            {"shas": shas},
        ).all()
        return {r.sha256: StoredFile(r.sha256, r.size, r.media_type, r.file_name) for r in rows}

    def claim_key(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        """None when the key is new (claimed); else the first answer (Conflict for another request)."""
        row = self.session.execute(
            sql(
                "INSERT INTO write_keys (scope, key, fingerprint) VALUES (:scope, :key, :fp) "
                "ON CONFLICT (scope, key) DO NOTHING RETURNING key"
            ),
            {"scope": self.scope, "key": key, "fp": fingerprint},
        ).first()
        if row is not None:
            return None
        first = self.session.execute(
            sql("SELECT fingerprint, answer FROM write_keys WHERE scope = :scope AND key = :key"),
            {"scope": self.scope, "key": key},
        ).one()
        if first.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was used for another request")
        return dict(first.answer or {})

    def answer_key(self, key: str, answer: dict[str, Any]) -> None:
        self.session.execute(
            sql("UPDATE write_keys SET answer = CAST(:answer AS jsonb) WHERE scope = :scope AND key = :key"),
            {"scope": self.scope, "key": key, "answer": json.dumps(answer)},
        )
