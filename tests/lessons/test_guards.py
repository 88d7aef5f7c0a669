"""Every learning page carries its guard, and the linguists see what learners fail.

A new route on ``lessons`` without ``learner_required``/``trainer_required`` (or on the
curators' tab without ``role_required``) fails here, unless it is one of the pages meant for
everyone: the landing page and joining with a code."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from conftest import login
from dictionary.auth import create_user
from dictionary.db import get_db
from dictionary.models import Entry
from lessons.clock import now
from lessons.models import Learner, ReviewLog, ReviewState

PUBLIC = {"lessons.home", "lessons.join"}


def test_every_learning_route_is_guarded(app):
    unguarded = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("lessons.", "lessons_admin.")):
            continue
        view = app.view_functions[rule.endpoint]
        guarded = getattr(view, "lesson_roles", None) or getattr(view, "required_role", None)
        if not guarded and rule.endpoint not in PUBLIC:
            unguarded.append(rule.rule)
    assert unguarded == []
    assert {"lessons.review", "lessons.cohort", "lessons_admin.failed_senses"} <= \
        {r.endpoint for r in app.url_map.iter_rules()}


def test_the_senses_learners_fail_most_are_a_quality_list(bundled_copy):
    app = bundled_copy
    with app.app_context(), get_db().transaction() as s:
        create_user(s, "editor@example.test", "correct horse battery", "editor")
        learners = []
        for i in range(3):
            user = create_user(s, f"hoc{i}@example.test", "correct horse battery", "learner")
            learners.append(Learner(user=user, language_code="hre"))
        s.add_all(learners)
        s.flush()
        headword = s.scalar(select(Entry.headword).where(Entry.public_id == "hre-000005"))
        for n, learner in enumerate(learners):
            for rating in (1, 1, 3):
                s.add(ReviewLog(id=f"00000000-0000-4000-8000-{n:06d}{rating:02d}{len(s.new):04d}",
                                learner_id=learner.id, sense_ref="hre-000005/1", kind="R",
                                rating=rating, reviewed_at=now() - dt.timedelta(days=1)))
        # For one learner the sense became a leech.
        s.add(ReviewState(learner_id=learners[0].id, sense_ref="hre-000005/1", kind="R",
                          card_id=1, state=3, due=now(), lapses=8, leech=True))
    client = app.test_client()
    client.set_cookie("ui_lang", "en")
    assert login(client, "editor@example.test").status_code == 302
    quality = client.get("/admin/quality").get_data(as_text=True)
    assert "/admin/quality/learners" in quality  # the tab is there
    page = client.get("/admin/quality/learners").get_data(as_text=True)
    assert "hre-000005/1" in page and headword in page
    # 6 wrong answers out of 9, by 3 learners, a leech for 1.
    assert '<td class="num">6</td><td class="num">9</td><td class="num">3</td>' \
        '<td class="num">1</td>' in page
    learner = app.test_client()
    assert login(learner, "hoc0@example.test").status_code == 302
    assert learner.get("/admin/quality/learners").status_code == 403
