"""Community micro-fund books (社区微基金): a book of its own per community, in the books' own tables.

A fund's book is a row of ``trust_books`` of ``kind`` 'fund' under the reserved code
``fund:<community>``, with its chart in ``accounts`` and its entries, periods, idempotency keys,
totals and log in the tables every book uses (row-level security by that code, as for an estate):
so the database checks a fund's transactions exactly as an estate's — balanced, two lines or more,
all in one statement, append-only, on open accounts, numbered from the book's own sequence.

* ``trust_books.kind``: 'trust' (an estate's trust books, every row before this revision) or 'fund';
* ``trust_books_kind_code``: a fund's code is ``fund:<…>`` and a trust book's never is. Estate codes
  have no colon (xinyi_shared.codes), so a fund can never take an estate's code, nor an estate a
  fund's. The estates' reads (billing, remuneration, statements, budgets) select ``kind = 'trust'``.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("trust_books", sa.Column("kind", sa.Text, nullable=False, server_default="trust"))
    op.create_check_constraint("trust_books_kind_known", "trust_books", "kind IN ('trust', 'fund')")
    op.create_check_constraint("trust_books_kind_code", "trust_books", "(kind = 'fund') = (estate_code LIKE 'fund:%')")


def downgrade() -> None:
    # Without the kind, a fund's entries would pass for an estate's books: restore from a backup.
    raise NotImplementedError("fund books are not downgraded; restore from a backup instead")
