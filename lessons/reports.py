"""What trainers take away: the cohort table as CSV or XLSX, one learner's history, and the
measured figures of a certificate.

Where it sits: after ``dashboard`` (which measures) and before the trainer pages and their
downloads (``views.trainer``). ``table`` is the one place that turns a ``CohortReport`` into
the cells of the learners' table: the page, the CSV and the XLSX all print its output, so
an export always says what the screen says.

A cell that a spreadsheet would run as a formula (text starting with ``= + - @``, OWASP's
CSV injection list) is written as text: prefixed with ``'`` in CSV, typed as a string in
XLSX. Names and offices are typed by learners, so this matters.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dictionary.models import Sense
from dictionary.sense_ids import resolve

from .charts import percent
from .clock import day_start, local_day
from .dashboard import (
    BACKLOG,
    INACTIVE,
    LOW_RETENTION,
    CohortReport,
    known_counts,
    mature_retention,
    report_day,
)
from .models import TIMEZONE, Cohort, CohortMember, DailyStat, Learner, ReviewState

COLUMNS = (
    _l("Name"), _l("Office"), _l("Known words"), _l("Target"), _l("Reviews (7 days)"),
    _l("Minutes (7 days)"), _l("Days active (7 days)"), _l("Retention (30 days)"),
    _l("Mature reviews (30 days)"), _l("Due now"), _l("Last active"), _l("At risk"))
RISK_LABELS = {INACTIVE: _l("inactive 3 days or more"),
               BACKLOG: _l("backlog over a day of reviews"),
               LOW_RETENTION: _l("retention below 80%")}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HISTORY_DAYS = 120


def risk_text(risks) -> str:
    return "; ".join(str(RISK_LABELS[r]) for r in risks)


def table(report: CohortReport) -> tuple[list[str], list[list[str | int]]]:
    """Header and rows of the learners' table, exactly as the page shows them."""
    rows = [[row.name, row.office, row.known, row.target, row.reviews_7d, row.minutes_7d,
             row.days_active_7d, percent(row.retention), row.mature_reviews, row.backlog,
             row.last_active.isoformat() if row.last_active else "–", risk_text(row.risks)]
            for row in report.learners]
    return [str(c) for c in COLUMNS], rows


def _safe(cell: str | int) -> str | int:
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def to_csv(report: CohortReport) -> bytes:
    """UTF-8 with a byte-order mark: spreadsheet programs then read Vietnamese right."""
    header, rows = table(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(report: CohortReport) -> bytes:
    """The learners' table on one sheet, weekly retention on a second."""
    from openpyxl import Workbook  # imported by this export only: a server starts sooner

    header, rows = table(report)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Learners")[:31]
    _write(sheet, header, rows)
    weeks = book.create_sheet(_("Weekly retention")[:31])
    _write(weeks, [_("Week"), _("Mature reviews"), _("Passed"), _("Retention")],
           [[w.label, w.reviews, w.passed, percent(w.retention)] for w in report.weeks])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet, header: list[str], rows: list[list[str | int]]) -> None:
    from openpyxl.styles import Font

    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # "=…" typed by a learner stays text, never a formula
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 40)


# ---- one learner ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Certificate:
    name: str
    office: str
    cohort: str
    course: str
    phonetic: bool
    first_day: dt.date
    last_day: dt.date
    known: int
    target_known: int
    reviews: int
    minutes: int
    days_active: int
    mature_reviews: int
    mature_passed: int

    @property
    def retention(self) -> float | None:
        return self.mature_passed / self.mature_reviews if self.mature_reviews else None


def _first_day(session: Session, cohort: Cohort, learner: Learner) -> dt.date:
    joined = session.scalar(select(CohortMember.joined_at).where(
        CohortMember.cohort_id == cohort.id, CohortMember.learner_id == learner.id))
    return max(cohort.starts_on, local_day(joined, TIMEZONE)) if joined else cohort.starts_on


def certificate(session: Session, cohort: Cohort, learner: Learner, at: dt.datetime
                ) -> Certificate:
    """The measured figures of ``learner`` in ``cohort``, from the day they could start
    (the cohort's start, or their joining if later) to today. Nothing is estimated."""
    first, last = _first_day(session, cohort, learner), report_day(at)
    reviews, millis, active = session.execute(
        select(func.coalesce(func.sum(DailyStat.reviews), 0),
               func.coalesce(func.sum(DailyStat.milliseconds), 0),
               func.count())
        .where(DailyStat.learner_id == learner.id, DailyStat.day >= first,
               DailyStat.day <= last)).one()
    mature, passed = mature_retention(session, [learner.id], day_start(first, TIMEZONE),
                                      at).get(learner.id, (0, 0))
    return Certificate(
        name=learner.user.name, office=learner.office, cohort=cohort.name,
        course=cohort.course.title, phonetic=cohort.course.phonetic, first_day=first,
        last_day=last, known=known_counts(session, [learner.id]).get(learner.id, 0),
        target_known=cohort.target_known, reviews=int(reviews),
        minutes=round(int(millis) / 60000), days_active=int(active), mature_reviews=mature,
        mature_passed=passed)


def history(session: Session, learner: Learner, at: dt.datetime,
            days: int = HISTORY_DAYS) -> list[DailyStat]:
    """The learner's days (newest first) over the last ``days`` days."""
    today = report_day(at)
    return list(session.scalars(
        select(DailyStat).where(DailyStat.learner_id == learner.id,
                                DailyStat.day > today - dt.timedelta(days=days),
                                DailyStat.day <= today)
        .order_by(DailyStat.day.desc())))


def leeches(session: Session, learner: Learner) -> list[str]:
    """Sense refs whose cards became leeches (8 lapses): the trainer may explain them."""
    return list(session.scalars(
        select(ReviewState.sense_ref).distinct().where(
            ReviewState.learner_id == learner.id, ReviewState.leech.is_(True),
            ReviewState.retired.is_(False)).order_by(ReviewState.sense_ref)))


# ---- lexicon text, read when shown ----------------------------------------------------------
@dataclass(frozen=True)
class SenseLabel:
    ref: str
    public_id: str
    headword: str
    gloss_vi: str
    language_code: str


def describe(session: Session, refs, *, published_only: bool = True) -> dict[str, SenseLabel]:
    """Form and gloss of each sense (difficult words, leeches) as the dictionary has it now:
    read at render time, never copied. Refs that no longer resolve to a (published) sense
    are absent; pages show the bare ref."""
    labels = {}
    for ref, sense in resolve(session, refs, published_only=published_only).items():
        if isinstance(sense, Sense):
            entry = sense.entry
            labels[ref] = SenseLabel(ref, entry.public_id, entry.headword, sense.gloss_vi,
                                     entry.language.code)
    return labels
