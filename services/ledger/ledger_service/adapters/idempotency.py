"""Idempotency keys: claimed at the start of a write, answered at its end, in its transaction."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from xinyi_shared.db import Executor, sql
from xinyi_shared.errors import Conflict
from xinyi_shared.pg_arrays import text_array

# One encoder for every fingerprint: json.dumps with options builds a new one per call.
_FINGERPRINT_ENCODER = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)


def request_fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(_FINGERPRINT_ENCODER.encode(body).encode()).hexdigest()


# The stored answer; one written at the claim (claim_many's postings) lacks the entry's number,
# which is read from the entry.
_STORED_RESPONSE = (
    "CASE WHEN response ? 'transaction_id' AND NOT response ? 'number' "
    "THEN response || jsonb_build_object('number', (SELECT t.estate_seq FROM transactions t "
    "WHERE t.estate_code = :estate AND t.id = CAST(response->>'transaction_id' AS uuid))) "
    "ELSE response END AS response"
)


class IdempotencyKeys:
    def __init__(self, session: Executor, estate_code: str) -> None:
        self.session = session
        self.estate = estate_code

    def claim(self, key: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Claim ``key`` for this request: None when it is new (the caller does the work and calls
        :meth:`answer`), else the first answer of the same request. A request racing the first one
        waits on the key's unique index until that one commits or rolls back. Conflict when the key
        was used for another request."""
        fingerprint = request_fingerprint(body)
        claimed = self.session.execute(
            sql(
                "INSERT INTO idempotency_keys (estate_code, key, request_hash) VALUES (:estate, :key, :hash) "
                "ON CONFLICT DO NOTHING RETURNING true"
            ),
            {"estate": self.estate, "key": key, "hash": fingerprint},
        ).first()
        if claimed is not None:
            return None
        return self.stored(key, fingerprint)

    def stored(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        row = self.session.execute(
            sql(
                f"SELECT request_hash, {_STORED_RESPONSE} FROM idempotency_keys "
                "WHERE estate_code = :estate AND key = :key"
            ),
            {"estate": self.estate, "key": key},
        ).first()
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise Conflict("this idempotency key was already used for a different request")
        return dict(row.response) if row.response is not None else None

    def answer(self, key: str, response: dict[str, Any]) -> None:
        self.session.execute(
            sql(
                "UPDATE idempotency_keys SET response = CAST(:response AS jsonb) "
                "WHERE estate_code = :estate AND key = :key"
            ),
            {"estate": self.estate, "key": key, "response": json.dumps(response, default=str)},
        )

    # Batches: one statement each, whatever the number of keys ------------------------------------

    def claim_many(
        self, fingerprints: dict[str, str], postings: dict[str, str] | None = None, period: str = ""
    ) -> set[str]:
        """Claim every key of ``fingerprints`` (key → request fingerprint); returns those that were new.

        A key of ``postings`` (key → the id its transaction will have, posted in ``period`` by this
        unit of work) is claimed with its answer already written, ``Posted.stored()`` but for the
        entry's number, which :meth:`stored_many` reads from the entry: a batch is then answered
        without a second write of each key (the claim and the posting commit together or not at all)."""
        if not fingerprints:
            return set()
        postings = postings or {}
        rows = self.session.execute(
            sql(
                "INSERT INTO idempotency_keys (estate_code, key, request_hash, response) "
                "SELECT :estate, key, hash, CASE WHEN id IS NULL THEN NULL ELSE jsonb_build_object("
                "'transaction_id', id, 'period', CAST(:period AS text), 'reverses', NULL) END "
                "FROM unnest(CAST(:keys AS text[]), CAST(:hashes AS text[]), CAST(:ids AS text[])) AS k(key, hash, id) "
                "ORDER BY key ON CONFLICT DO NOTHING RETURNING key"
            ),
            {
                "estate": self.estate,
                "period": period,
                "keys": text_array(list(fingerprints)),
                "hashes": text_array(list(fingerprints.values())),
                "ids": text_array([postings.get(key) for key in fingerprints]),
            },
        ).scalars()
        return set(rows)

    def stored_many(self, keys: list[str]) -> dict[str, tuple[str, dict[str, Any] | None]]:
        """key → (its request fingerprint, its answer) for the keys used before."""
        if not keys:
            return {}
        rows = self.session.execute(
            sql(
                f"SELECT key, request_hash, {_STORED_RESPONSE} "
                "FROM idempotency_keys WHERE estate_code = :estate AND key = ANY(CAST(:keys AS text[]))"
            ),
            {"estate": self.estate, "keys": text_array(keys)},
        ).all()
        return {r.key: (r.request_hash, dict(r.response) if r.response is not None else None) for r in rows}

    def answer_many(self, responses: dict[str, dict[str, Any]]) -> None:
        if not responses:
            return
        self.session.execute(
            sql(
                "UPDATE idempotency_keys k SET response = CAST(a.response AS jsonb) "
                "FROM unnest(CAST(:keys AS text[]), CAST(:responses AS text[])) AS a(key, response) "
                "WHERE k.estate_code = :estate AND k.key = a.key"
            ),
            {
                "estate": self.estate,
                "keys": text_array(list(responses)),
                "responses": text_array([json.dumps(r, default=str) for r in responses.values()]),
            },
        )

    def release_many(self, keys: list[str]) -> None:
        """Give back keys claimed by this transaction for requests it refused (unanswered claims)."""
        if not keys:
            return
        self.session.execute(
            sql(
                "DELETE FROM idempotency_keys WHERE estate_code = :estate AND key = ANY(CAST(:keys AS text[])) "
                "AND response IS NULL"
            ),
            {"estate": self.estate, "keys": text_array(keys)},
        )
