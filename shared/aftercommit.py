"""``on_commit(fn)``: run ``fn`` once the current unit of work has committed, never on rollback.

Services use it for the steps that must not happen unless the rows they describe exist: enqueueing
an RQ job, bumping a cache version in Redis, calling Stripe for a refund, deleting a stored object.
Written inside ``with db.transaction() as tx:``, the step runs right after that block commits, in
the same process, with the session idle (a callback may open its own ``db.transaction()``).

Rules (SQLAlchemy session events, per session):

- registered inside a SAVEPOINT (``begin_nested``): kept when the savepoint is released, dropped
  when it is rolled back, and in both cases run only when the outermost transaction commits;
- a rollback (or a close without commit) of the outermost transaction drops everything;
- callbacks run in registration order; every one runs even if an earlier one raised, then the
  first error is raised from ``commit()`` (the commit itself has happened).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from shared import db

_PENDING = "cleanplane.on_commit"  # {SessionTransaction: [callbacks]}
_COMMITTED = "cleanplane.on_commit.committed"  # transactions whose commit is under way


def on_commit(fn: Callable[[], object], session: Session | None = None) -> None:
    """Run ``fn()`` after the current transaction of ``session`` (default: the context's) commits."""
    sess = session if session is not None else db.session()
    _install(sess)
    if not sess.in_transaction():
        sess.begin()  # lazy: no connection is taken until the first statement
    current = sess.get_nested_transaction() or sess.get_transaction()
    sess.info[_PENDING].setdefault(current, []).append(fn)


def _install(sess: Session) -> None:
    if _PENDING in sess.info:
        return
    sess.info[_PENDING] = {}
    sess.info[_COMMITTED] = set()
    event.listen(sess, "after_commit", _after_commit)
    event.listen(sess, "after_transaction_end", _after_end)


def _after_commit(sess: Session) -> None:
    # Fired for the outermost commit and for every savepoint release; the committing transaction
    # is still the session's current one here.
    sess.info[_COMMITTED].add(sess.get_nested_transaction() or sess.get_transaction())


def _after_end(sess: Session, transaction: SessionTransaction) -> None:
    pending = sess.info[_PENDING]
    committed = transaction in sess.info[_COMMITTED]
    sess.info[_COMMITTED].discard(transaction)
    callbacks = pending.pop(transaction, [])
    if not callbacks or not committed:
        return  # nothing registered, or rolled back / closed without commit: dropped
    if transaction.parent is not None:
        pending.setdefault(transaction.parent, []).extend(callbacks)  # released savepoint
        return
    first_error = None
    for fn in callbacks:
        try:
            fn()
        except Exception as exc:  # run the rest, then raise the first
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


def discard_pending(session: Session) -> None:
    """Drop every callback waiting on ``session``'s transactions: for a rehearsal (a dry run)
    whose work is rolled back in the end, so no refund, e-mail job or cache bump may follow."""
    if _PENDING in session.info:
        session.info[_PENDING].clear()
