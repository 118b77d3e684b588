"""An estate's tamper-evident log in and out of PostgreSQL: its key, its leaves, its checkpoints and
their cosignatures, the witnesses' keys and the households' secrets (one estate's rows, under
row-level security). A community fund's book keeps its log in the same tables, under its book code."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyi_shared.db import Executor, sql
from xinyi_shared.transparency.entries import EntryLine, LedgerEntry, household_commitment


@dataclass(frozen=True)
class LogKey:
    origin: str
    signer_key: str
    verifier_key: str


@dataclass(frozen=True)
class StoredCheckpoint:
    tree_size: int
    period: str
    note: str  # signed by the log only
    root_hash: bytes
    published_at: datetime


@dataclass(frozen=True)
class StoredCosignature:
    tree_size: int
    verifier_key: str
    signature_line: str
    cosigned_at: datetime


@dataclass(frozen=True)
class WitnessKey:
    verifier_key: str
    name: str
    registered_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class Leaf:
    index: int
    transaction_id: str
    leaf_hash: bytes


class TransparencyLog:
    def __init__(self, session: Executor, estate_code: str, subject: str | None = None) -> None:
        self.session = session
        self.estate = estate_code
        # What the log's entries name as their book (``estate`` in the leaf): the last segment of
        # the log's origin. The estate's code; for a community fund's book, the community's.
        self.subject = subject or estate_code

    # The log's key -------------------------------------------------------------------------------

    def key(self) -> LogKey | None:
        row = self.session.execute(
            sql("SELECT origin, signer_key, verifier_key FROM log_keys WHERE estate_code = :estate"),
            {"estate": self.estate},
        ).first()
        return LogKey(row.origin, row.signer_key, row.verifier_key) if row else None

    def add_key(self, key: LogKey) -> LogKey:
        """Keep the estate's key; when another transaction made one first, that one is the key."""
        self.session.execute(
            sql(
                "INSERT INTO log_keys (estate_code, origin, signer_key, verifier_key) "
                "VALUES (:estate, :origin, :skey, :vkey) ON CONFLICT (estate_code) DO NOTHING"
            ),
            {"estate": self.estate, "origin": key.origin, "skey": key.signer_key, "vkey": key.verifier_key},
        )
        stored = self.key()
        assert stored is not None
        return stored

    # Leaves --------------------------------------------------------------------------------------

    def lock(self) -> None:
        """Hold the estate's log until commit: one checkpoint at a time appends and signs."""
        self.session.execute(
            sql("SELECT 1 FROM log_keys WHERE estate_code = :estate FOR UPDATE"), {"estate": self.estate}
        )

    def leaves(self) -> list[Leaf]:
        rows = self.session.execute(
            sql(
                "SELECT leaf_index, transaction_id, leaf_hash FROM log_leaves WHERE estate_code = :estate "
                "ORDER BY leaf_index"
            ),
            {"estate": self.estate},
        ).all()
        return [Leaf(int(r.leaf_index), str(r.transaction_id), bytes(r.leaf_hash)) for r in rows]

    def leaf_of(self, transaction_id: str) -> Leaf | None:
        try:
            key = uuid.UUID(transaction_id)
        except ValueError:
            return None
        row = self.session.execute(
            sql(
                "SELECT leaf_index, transaction_id, leaf_hash FROM log_leaves "
                "WHERE estate_code = :estate AND transaction_id = :id"
            ),
            {"estate": self.estate, "id": key},
        ).first()
        return Leaf(int(row.leaf_index), str(row.transaction_id), bytes(row.leaf_hash)) if row else None

    def append(self, first_index: int, leaves: Sequence[tuple[str, bytes]]) -> None:
        if not leaves:
            return
        self.session.execute(
            sql(
                "INSERT INTO log_leaves (estate_code, leaf_index, transaction_id, leaf_hash) "
                "SELECT :estate, :first + n - 1, id, hash FROM unnest(CAST(:ids AS uuid[]), CAST(:hashes AS bytea[])) "
                "WITH ORDINALITY AS l(id, hash, n)"
            ),
            {
                "estate": self.estate,
                "first": first_index,
                "ids": [uuid.UUID(transaction_id) for transaction_id, _ in leaves],
                "hashes": [leaf for _, leaf in leaves],
            },
        )

    def unlogged_transaction_ids(self, through_period: str) -> list[str]:
        """Transactions of periods up to ``through_period`` not yet in the log, in the books' order."""
        rows = self.session.execute(
            sql(
                "SELECT t.id FROM transactions t WHERE t.estate_code = :estate AND t.period <= :period "
                "AND NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.estate_code = :estate AND l.transaction_id = t.id) "
                "ORDER BY t.estate_seq"
            ),
            {"estate": self.estate, "period": through_period},
        ).scalars()
        return [str(i) for i in rows]

    def entries(self, transaction_ids: Sequence[str]) -> dict[str, LedgerEntry]:
        """The entries as the log records them (households by their commitments), by transaction id."""
        if not transaction_ids:
            return {}
        ids = [uuid.UUID(t) for t in transaction_ids]
        heads = self.session.execute(
            sql(
                "SELECT id, estate_seq, period, kind, posted_at FROM transactions "
                "WHERE estate_code = :estate AND id = ANY(:ids)"
            ),
            {"estate": self.estate, "ids": ids},
        ).all()
        lines: dict[str, list[Any]] = {}
        for row in self.session.execute(
            sql(
                "SELECT transaction_id, line, account, amount_fen, household_id FROM postings "
                "WHERE estate_code = :estate AND transaction_id = ANY(:ids)"
            ),
            {"estate": self.estate, "ids": ids},
        ):
            lines.setdefault(str(row.transaction_id), []).append(row)
        households = {str(r.household_id) for rows in lines.values() for r in rows if r.household_id}
        household_secrets = self.household_secrets(sorted(households))
        entries: dict[str, LedgerEntry] = {}
        for head in heads:
            transaction_id = str(head.id)
            entries[transaction_id] = LedgerEntry(
                estate=self.subject,
                seq=int(head.estate_seq),
                transaction_id=transaction_id,
                period=head.period,
                kind=head.kind,
                posted_at=head.posted_at,
                lines=tuple(
                    EntryLine(
                        line=int(r.line),
                        account=r.account,
                        amount_fen=int(r.amount_fen),
                        household=household_commitment(
                            household_secrets[str(r.household_id)], transaction_id, int(r.line)
                        )
                        if r.household_id
                        else None,
                    )
                    for r in lines.get(transaction_id, [])
                ),
            )
        return entries

    def household_secrets(self, household_ids: Iterable[str]) -> dict[str, bytes]:
        """Each household's secret, made on first use (32 random bytes, never changed)."""
        wanted = [uuid.UUID(h) for h in household_ids]
        if not wanted:
            return {}
        self.session.execute(
            sql(
                "INSERT INTO household_secrets (estate_code, household_id, secret) "
                "SELECT :estate, h, s FROM unnest(CAST(:households AS uuid[]), CAST(:secrets AS bytea[])) AS x(h, s) "
                "ON CONFLICT DO NOTHING"
            ),
            {"estate": self.estate, "households": wanted, "secrets": [secrets.token_bytes(32) for _ in wanted]},
        )
        rows = self.session.execute(
            sql(
                "SELECT household_id, secret FROM household_secrets "
                "WHERE estate_code = :estate AND household_id = ANY(:households)"
            ),
            {"estate": self.estate, "households": wanted},
        ).all()
        return {str(r.household_id): bytes(r.secret) for r in rows}

    # Checkpoints ---------------------------------------------------------------------------------

    _CHECKPOINT = "SELECT tree_size, period, note, root_hash, published_at FROM checkpoints WHERE estate_code = :estate"

    @staticmethod
    def _checkpoint(row: Any) -> StoredCheckpoint:
        return StoredCheckpoint(int(row.tree_size), row.period, row.note, bytes(row.root_hash), row.published_at)

    def add_checkpoint(self, tree_size: int, period: str, note: str, root_hash: bytes) -> None:
        self.session.execute(
            sql(
                "INSERT INTO checkpoints (estate_code, tree_size, period, note, root_hash) "
                "VALUES (:estate, :size, :period, :note, :root)"
            ),
            {"estate": self.estate, "size": tree_size, "period": period, "note": note, "root": root_hash},
        )

    def checkpoints(self, limit: int | None = None, offset: int = 0) -> list[StoredCheckpoint]:
        """The checkpoints oldest first (a tree size is the estate's key: the order is total); every one,
        or a page of ``limit`` after ``offset``."""
        statement = self._CHECKPOINT + " ORDER BY tree_size"
        params: dict[str, Any] = {"estate": self.estate}
        if limit is not None:
            statement += " LIMIT :limit OFFSET :offset"
            params |= {"limit": limit, "offset": offset}
        rows = self.session.execute(sql(statement), params).all()
        return [self._checkpoint(r) for r in rows]

    def count_checkpoints(self) -> int:
        """How many checkpoints :meth:`checkpoints` pages through (the same rows)."""
        return int(
            self.session.execute(
                sql("SELECT count(*) FROM checkpoints WHERE estate_code = :estate"), {"estate": self.estate}
            ).scalar_one()
        )

    def checkpoint(self, tree_size: int | None = None) -> StoredCheckpoint | None:
        """The checkpoint of ``tree_size``, or the latest."""
        if tree_size is None:
            row = self.session.execute(
                sql(self._CHECKPOINT + " ORDER BY tree_size DESC LIMIT 1"), {"estate": self.estate}
            ).first()
        else:
            row = self.session.execute(
                sql(self._CHECKPOINT + " AND tree_size = :size"), {"estate": self.estate, "size": tree_size}
            ).first()
        return self._checkpoint(row) if row else None

    def checkpoint_holding(self, leaf_index: int) -> StoredCheckpoint | None:
        """The first checkpoint whose tree holds leaf ``leaf_index``."""
        row = self.session.execute(
            sql(self._CHECKPOINT + " AND tree_size > :index ORDER BY tree_size LIMIT 1"),
            {"estate": self.estate, "index": leaf_index},
        ).first()
        return self._checkpoint(row) if row else None

    # Witnesses -----------------------------------------------------------------------------------

    def witness_keys(self, *, active_only: bool = False) -> list[WitnessKey]:
        rows = self.session.execute(
            sql(
                "SELECT verifier_key, name, registered_at, retired_at FROM witness_keys WHERE estate_code = :estate "
                "AND (NOT :active OR retired_at IS NULL) ORDER BY registered_at"
            ),
            {"estate": self.estate, "active": active_only},
        ).all()
        return [WitnessKey(r.verifier_key, r.name, r.registered_at, r.retired_at) for r in rows]

    def register_witness(self, verifier_key: str, name: str, registered_by: str) -> None:
        """The supervisor's key from now on; the one before it is retired (its cosignatures stand)."""
        self.session.execute(
            sql(
                "UPDATE witness_keys SET retired_at = now() WHERE estate_code = :estate AND retired_at IS NULL "
                "AND verifier_key <> :vkey"
            ),
            {"estate": self.estate, "vkey": verifier_key},
        )
        self.session.execute(
            sql(
                "INSERT INTO witness_keys (estate_code, verifier_key, name, registered_by) "
                "VALUES (:estate, :vkey, :name, :by) ON CONFLICT (estate_code, verifier_key) "
                "DO UPDATE SET retired_at = NULL"
            ),
            {"estate": self.estate, "vkey": verifier_key, "name": name, "by": registered_by},
        )

    def cosignatures(self, tree_size: int | None = None) -> list[StoredCosignature]:
        rows = self.session.execute(
            sql(
                "SELECT tree_size, verifier_key, signature_line, cosigned_at FROM cosignatures "
                "WHERE estate_code = :estate AND (CAST(:size AS bigint) IS NULL OR tree_size = :size) "
                "ORDER BY tree_size, received_at"
            ),
            {"estate": self.estate, "size": tree_size},
        ).all()
        return [StoredCosignature(int(r.tree_size), r.verifier_key, r.signature_line, r.cosigned_at) for r in rows]

    def add_cosignature(self, tree_size: int, verifier_key: str, line: str, cosigned_at: datetime) -> bool:
        """False when this witness key had cosigned this checkpoint already."""
        row = self.session.execute(
            sql(
                "INSERT INTO cosignatures (estate_code, tree_size, verifier_key, signature_line, cosigned_at) "
                "VALUES (:estate, :size, :vkey, :line, :at) ON CONFLICT DO NOTHING RETURNING tree_size"
            ),
            {"estate": self.estate, "size": tree_size, "vkey": verifier_key, "line": line, "at": cosigned_at},
        ).first()
        return row is not None
