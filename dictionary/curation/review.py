"""What waits for a reviewer: counts per language and status, entries in review, and
published entries whose changes nobody has reviewed yet.

Where it sits: the review queue page (``admin.review``) renders what ``load`` returns; the
queries live here, apart from the request, so they can be read, tested and reused (a CLI
or a trainer's dashboard) without a view.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..models import IN_REVIEW, PUBLISHED, STATUSES, Entry, Language, Revision
from .workflow import SUBMITTED


@dataclass
class ReviewQueue:
    #: (language, counts per status in ``STATUSES`` order, published entries not reviewed)
    table: list[tuple[Language, list[int], int]]
    #: entries in review with when they were submitted (None: before revisions said so),
    #: oldest first
    waiting: list[tuple[Entry, dt.datetime | None]]
    #: published entries a person changed without review, oldest change first
    edited: list[Entry]
    #: one page of the published entries nobody has reviewed yet (the starter data)
    starter: list[Entry]
    starter_total: int
    page: int
    pages: int


def load(s: Session, page: int, per_page: int) -> ReviewQueue:
    """The queue, with page ``page`` (clamped to the pages there are) of the starter list."""
    languages = list(s.scalars(select(Language).order_by(Language.id)))
    counts = {(lang, status): n for lang, status, n in s.execute(
        select(Entry.language_id, Entry.status, func.count())
        .group_by(Entry.language_id, Entry.status))}
    unreviewed = dict(s.execute(
        select(Entry.language_id, func.count())
        .where(Entry.status == PUBLISHED, Entry.reviewed.is_(False))
        .group_by(Entry.language_id)).all())
    table = [(lang, [counts.get((lang.id, st), 0) for st in STATUSES], unreviewed.get(lang.id, 0))
             for lang in languages]
    options = (selectinload(Entry.language), selectinload(Entry.senses))

    submitted = (select(Revision.entry_public_id.label("pid"),
                        func.max(Revision.created_at).label("at"))
                 .where(Revision.summary == SUBMITTED)
                 .group_by(Revision.entry_public_id).subquery())
    waiting = [tuple(row) for row in s.execute(
        select(Entry, submitted.c.at).outerjoin(submitted, submitted.c.pid == Entry.public_id)
        .where(Entry.status == IN_REVIEW).options(*options)
        .order_by(submitted.c.at.is_(None), submitted.c.at, Entry.updated_at, Entry.id))]

    # Published entries a person changed without review (their latest revision has a user)
    # come before the starter data nobody has looked at yet.
    last = (select(Revision.entry_public_id.label("pid"), func.max(Revision.id).label("rid"))
            .group_by(Revision.entry_public_id).subquery())
    edited_ids = (select(Entry.id).join(last, last.c.pid == Entry.public_id)
                  .join(Revision, Revision.id == last.c.rid)
                  .where(Entry.status == PUBLISHED, Entry.reviewed.is_(False),
                         Revision.user_id.is_not(None)))
    edited = list(s.scalars(select(Entry).where(Entry.id.in_(edited_ids)).options(*options)
                            .order_by(Entry.updated_at, Entry.id)))

    starter_where = (Entry.status == PUBLISHED, Entry.reviewed.is_(False),
                     Entry.id.not_in(edited_ids))
    total = s.scalar(select(func.count(Entry.id)).where(*starter_where)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    starter = list(s.scalars(select(Entry).where(*starter_where).options(*options)
                             .order_by(Entry.language_id, Entry.sort_key, Entry.id)
                             .offset((page - 1) * per_page).limit(per_page)))
    return ReviewQueue(table, waiting, edited, starter, total, page, pages)
