"""The learning system's clock: "now" in UTC and the learner's local day.

Where it sits: everything in ``lessons`` that asks the time (what is due, which day a review
counts for, streaks) asks here, so a test can move one app's clock forward a day
(``shift``) and review "tomorrow" through the real pages. Times are stored naive in UTC, as
in the dictionary's tables. A learner's day starts at 04:00 local time (Anki's default): a
review at 01:00 after a late evening still counts for the evening's day.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

from dictionary.models import utcnow

DAY_STARTS = dt.timedelta(hours=4)
_KEY = "lessons.clock_offset"


def now() -> dt.datetime:
    """Naive UTC now, moved by the app's offset (zero outside tests)."""
    offset = current_app.extensions.get(_KEY, dt.timedelta()) if has_app_context() \
        else dt.timedelta()
    return utcnow() + offset


def shift(app: Flask, **delta: float) -> None:
    """Move ``app``'s clock forward (``days=1``); for tests driving the real pages."""
    app.extensions[_KEY] = app.extensions.get(_KEY, dt.timedelta()) + dt.timedelta(**delta)


def local_day(moment: dt.datetime, timezone: str) -> dt.date:
    """The learner's day that a naive-UTC ``moment`` belongs to.

    >>> local_day(dt.datetime(2026, 12, 4, 20, 30), "Asia/Ho_Chi_Minh")  # 03:30 local
    datetime.date(2026, 12, 4)
    >>> local_day(dt.datetime(2026, 12, 4, 21, 30), "Asia/Ho_Chi_Minh")  # 04:30 local
    datetime.date(2026, 12, 5)
    """
    local = moment.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone))
    return (local - DAY_STARTS).date()


def day_start(day: dt.date, timezone: str) -> dt.datetime:
    """Naive UTC start (04:00 local) of the learner's ``day``.

    >>> day_start(dt.date(2026, 12, 5), "Asia/Ho_Chi_Minh")
    datetime.datetime(2026, 12, 4, 21, 0)
    """
    local = dt.datetime.combine(day, dt.time(), ZoneInfo(timezone)) + DAY_STARTS
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)
