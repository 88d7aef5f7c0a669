"""Who may open the learning pages: guards for learner and trainer views.

Where it sits: every view in ``lessons.views`` carries one of these (a test walks the url
map to prove it). A learner sees only their own data, a trainer only the cohorts they run
(enforced again in every query, ``accounts.cohorts_of_trainer``), an administrator every
cohort. Learners and trainers hold no curator role, so ``/admin`` answers them 403.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort
from flask_login import current_user

from dictionary.auth import login_manager
from dictionary.models import ADMIN, LEARNER, TRAINER


def _guard(roles: tuple[str, ...]) -> Callable:
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.active or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.lesson_roles = roles  # type: ignore[attr-defined]
        return guarded

    return decorate


learner_required = _guard((LEARNER,))
trainer_required = _guard((TRAINER, ADMIN))
