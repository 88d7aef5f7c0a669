"""Charts of the trainer pages, drawn on the server as inline SVG: no script, no chart CDN.

Where it sits: the trainer views (``views.trainer``) pass figures from ``dashboard`` to these
functions and put the returned ``Markup`` in the page. Every chart is a ``role="img"`` with
an ``aria-label`` summing it up and a ``<title>`` on each mark (the browser's tooltip); the
same figures are in the tables beside it for screen readers. Charts are drawn on a canvas
360 units wide (a cheap phone's screen) and scale to the column with ``width="100%"``.

Learner names and other data are escaped here, once, by ``markupsafe.escape``: a learner
named ``<script>`` is text in the picture, never markup. Only the strings this module writes
itself are trusted. Colours are presentation attributes, not ``style``: the site's CSP
forbids inline styles.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 360
FONT = 'font-family="system-ui,sans-serif"'
INK, MUTED, BAR, TARGET, GRID = "#1b1b1b", "#555", "#0b5c8a", "#b00020", "#ddd"
# Heat levels (cards a day): not active, a few, a session, a long session, a lot.
HEAT = ((0, "#ececec"), (1, "#c7e3cf"), (10, "#8cc79d"), (30, "#4f9d66"), (60, "#17492f"))


def _a(value: object) -> str:
    """An attribute or text value, escaped (quotes included)."""
    return str(escape(str(value)))


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(height: float, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-label="{_a(label)}" viewBox="0 0 {WIDTH} {_num(height)}" width="100%" {FONT}>'
        f'<title>{_a(label)}</title>{"".join(body)}</svg>')


def _short(name: str, limit: int = 16) -> str:
    """A name cut to fit the label column, keeping its end: a Vietnamese name ends with
    the given name, the one people are called by (the full name is in the tooltip).

    >>> _short("Nguyễn Thị Minh Khai", 12)
    '…ị Minh Khai'
    """
    return name if len(name) <= limit else "…" + name[len(name) - limit + 1:]


def percent(share: float | None) -> str:
    """A share as shown everywhere on the trainer pages (tables, charts, exports).

    >>> percent(0.8765), percent(None)
    ('88%', '–')
    """
    return "–" if share is None else f"{round(share * 100)}%"


def known_bars(rows: Sequence[tuple[str, int]], target_now: int, target_known: int,
               week: int) -> Markup:
    """Known words per learner, one horizontal bar each, against today's target line."""
    left, right, top, step = 112, WIDTH - 30, 22, 18
    top_value = max([target_known, target_now, 1, *(known for _n, known in rows)])
    scale = (right - left) / top_value
    height = top + step * max(len(rows), 1) + 6
    tx = left + target_now * scale
    label = _("target %(n)d", n=target_now)  # outside the f-string, where Babel finds it
    body = [f'<text x="{_num(tx)}" y="12" font-size="10" fill="{TARGET}" '
            f'text-anchor="middle">{_a(label)}</text>']
    for i, (name, known) in enumerate(rows):
        y = top + i * step
        tip = _("%(name)s: %(known)d known words (target %(target)d)", name=name, known=known,
                target=target_now)
        body.append(
            f'<g><title>{_a(tip)}</title>'
            f'<text x="{left - 4}" y="{y + 10}" font-size="11" fill="{INK}" '
            f'text-anchor="end">{_a(_short(name))}</text>'
            f'<rect x="{left}" y="{y}" width="{_num(max(known * scale, 0.5))}" height="12" '
            f'fill="{BAR}"/>'
            f'<text x="{_num(left + known * scale + 3)}" y="{y + 10}" font-size="10" '
            f'fill="{MUTED}">{known}</text></g>')
    body.append(f'<line x1="{_num(tx)}" y1="16" x2="{_num(tx)}" y2="{_num(height - 4)}" '
                f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="4 3"/>')
    label = _("Known words per learner against the target of %(target)d in week %(week)d "
              "(%(final)d by the end)", target=target_now, week=week, final=target_known)
    return _svg(height, label, body)


def retention_line(weeks: Sequence[tuple[str, float | None, int]],
                   desired: float = 0.9) -> Markup:
    """True retention per week (label, share or None, mature reviews), with the cohort's
    desired retention as a dashed line. Weeks without mature reviews leave a gap."""
    left, right, top, bottom = 34, WIDTH - 10, 10, 150
    shares = [s for _l, s, _n in weeks if s is not None]
    low = min([0.5, desired - 0.1, *shares])
    low = max(0.0, int(low * 10) / 10)

    def y(share: float) -> float:
        return bottom - (share - low) / (1 - low) * (bottom - top)

    def x(i: int) -> float:
        return left + (right - left) * (i + 0.5) / max(len(weeks), 1)

    body = []
    tick = low
    while tick <= 1.0001:
        body.append(f'<line x1="{left}" y1="{_num(y(tick))}" x2="{right}" y2="{_num(y(tick))}" '
                    f'stroke="{GRID}"/><text x="{left - 3}" y="{_num(y(tick) + 3)}" '
                    f'font-size="9" fill="{MUTED}" text-anchor="end">{percent(tick)}</text>')
        tick += 0.1
    body.append(f'<line x1="{left}" y1="{_num(y(desired))}" x2="{right}" '
                f'y2="{_num(y(desired))}" stroke="{TARGET}" stroke-dasharray="4 3"/>')
    segment: list[str] = []
    segments = [segment]
    every = max(1, -(-len(weeks) // 8))  # at most 8 week labels under the axis
    for i, (label, share, n) in enumerate(weeks):
        if i % every == 0 or i == len(weeks) - 1:
            body.append(f'<text x="{_num(x(i))}" y="{bottom + 14}" font-size="9" '
                        f'fill="{MUTED}" text-anchor="middle">{_a(label[-3:])}</text>')
        if share is None:
            segment = []
            segments.append(segment)
            continue
        segment.append(f"{_num(x(i))},{_num(y(share))}")
        tip = _("%(week)s: %(share)s of %(n)d mature reviews passed", week=label,
                share=percent(share), n=n)
        body.append(f'<circle cx="{_num(x(i))}" cy="{_num(y(share))}" r="3.5" fill="{BAR}">'
                    f'<title>{_a(tip)}</title></circle>')
    lines = [f'<polyline points="{" ".join(s)}" fill="none" stroke="{BAR}" stroke-width="2"/>'
             for s in segments if len(s) > 1]
    summary = ", ".join(f"{label} {percent(share)}" for label, share, _n in weeks)
    label = _("True retention per week on mature cards (desired %(desired)s): %(weeks)s",
              desired=percent(desired), weeks=summary or "–")
    return _svg(bottom + 20, label, lines + body)


def _heat(cards: int, active: bool) -> str:
    if not active:
        return HEAT[0][1]
    colour = HEAT[1][1]  # active, if only with a lesson card already seen
    for floor, fill in HEAT[1:]:
        if cards >= floor:
            colour = fill
    return colour


def heatmap(days: Sequence[dt.date],
            rows: Sequence[tuple[str, Sequence[tuple[int, int, bool]]]]) -> Markup:
    """Activity of each learner (rows) on each of ``days`` (columns): cells are
    (cards: reviews + new + practice, minutes, active) as ``dashboard`` gives them."""
    left, top, cell = 96, 16, (WIDTH - 98) / max(len(days), 1)
    body = []
    for j, day in enumerate(days):
        if day.weekday() == 0:  # label Mondays: a week per label
            body.append(f'<text x="{_num(left + j * cell)}" y="10" font-size="9" '
                        f'fill="{MUTED}">{day.day}/{day.month}</text>')
    for i, (name, cells) in enumerate(rows):
        y = top + i * 11
        body.append(f'<text x="{left - 4}" y="{_num(y + 8)}" font-size="10" fill="{INK}" '
                    f'text-anchor="end"><title>{_a(name)}</title>{_a(_short(name, 15))}</text>')
        for j, (day, (cards, minutes, was_active)) in enumerate(zip(days, cells)):
            tip = _("%(name)s, %(day)s: %(cards)d cards, %(minutes)d min", name=name,
                    day=day.isoformat(), cards=cards, minutes=minutes) if was_active else \
                _("%(name)s, %(day)s: not active", name=name, day=day.isoformat())
            body.append(f'<rect x="{_num(left + j * cell)}" y="{y}" width="{_num(cell - 1)}" '
                        f'height="10" fill="{_heat(cards, was_active)}"><title>{_a(tip)}</title>'
                        '</rect>')
    legend_y = top + len(rows) * 11 + 8
    label = _("cards a day")  # outside the f-string: Babel does not extract from inside one
    body.append(f'<text x="{left - 4}" y="{legend_y + 8}" font-size="9" fill="{MUTED}" '
                f'text-anchor="end">{_a(label)}</text>')
    for k, (floor, fill) in enumerate(HEAT):
        x = left + k * 44
        body.append(f'<rect x="{x}" y="{legend_y}" width="10" height="10" fill="{fill}"/>'
                    f'<text x="{x + 13}" y="{legend_y + 9}" font-size="9" fill="{MUTED}">'
                    f'{"–" if k == 0 else f"{floor}+"}</text>')
    active = sum(1 for _n, cells in rows if any(c[2] for c in cells))
    label = _("Activity of %(n)d learners over the last %(days)d days; %(active)d were active",
              n=len(rows), days=len(days), active=active)
    return _svg(legend_y + 14, label, body)


def forecast_columns(points: Sequence[tuple[dt.date, int]]) -> Markup:
    """Cards due on each of the next days (the first column includes what is overdue)."""
    left, bottom, top = 10, 110, 14
    most = max([1, *(n for _d, n in points)])
    width = (WIDTH - 2 * left) / max(len(points), 1)
    body = []
    for i, (day, n) in enumerate(points):
        h = (bottom - top) * n / most
        x = left + i * width
        tip = _("%(day)s: %(n)d cards due", day=day.isoformat(), n=n)
        body.append(f'<g><title>{_a(tip)}</title><rect x="{_num(x + 4)}" y="{_num(bottom - h)}" '
                    f'width="{_num(width - 8)}" height="{_num(max(h, 0.5))}" fill="{BAR}"/>'
                    f'<text x="{_num(x + width / 2)}" y="{_num(bottom - h - 3)}" font-size="10" '
                    f'fill="{INK}" text-anchor="middle">{n}</text>'
                    f'<text x="{_num(x + width / 2)}" y="{bottom + 13}" font-size="9" '
                    f'fill="{MUTED}" text-anchor="middle">{day.day}/{day.month}</text></g>')
    label = _("Cards due in the next %(days)d days: %(counts)s", days=len(points),
              counts=", ".join(str(n) for _d, n in points))
    return _svg(bottom + 18, label, body)
