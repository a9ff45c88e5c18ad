"""The share-safe variant's notes: what may be shown to the client or a wider audience.

`allyreport build --share-safe` judges and renders the notes as they would be if the
private parts had never been written, so nothing downstream can leak them by accident: a
note marked `private: true` is dropped whole (its text, its evidence, its pictures), so are
private actions and private stakeholders (from account.md, and from every note's `with:`
list, so no count of people includes them), and every trust reading and client rating is
removed, since the lead's honest read of the client is never shown to the client. What is
left is judged as usual, so a level in the variant is the level those notes support.
"""

from __future__ import annotations

from dataclasses import replace

from .data import Account, Note


def shareable(account: Account) -> Account:
    """The account without its private notes, actions and stakeholders, and without trust scores."""
    meta = account.meta
    hidden = frozenset(s.name for s in meta.stakeholders if s.private)
    people = tuple(s if s.successor not in hidden else s.model_copy(update={"successor": None})
                   for s in meta.stakeholders if not s.private)
    plan = tuple(a for a in meta.plan if not a.private)
    notes = tuple(_shared(n, hidden) for n in account.notes if not n.meta.private)
    shown = meta.model_copy(update={"stakeholders": people, "plan": plan})
    return replace(account, meta=shown, notes=notes)


def _shared(note: Note, hidden: frozenset[str]) -> Note:
    meta = note.meta.model_copy(update={
        "with_": tuple(name for name in note.meta.with_ if name not in hidden),
        "actions": tuple(a for a in note.meta.actions if not a.private),
        "trust": None,
        "client_rating": None,
    })
    return replace(note, meta=meta)
