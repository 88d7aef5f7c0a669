"""The learning pages; importing this package registers every route on ``lessons.bp``:
``learner`` (home, course choice, placement), ``study`` (lessons, reviews, practice),
``join`` (self-registration with a class code), ``trainer`` (cohorts and dashboards) and
``curation`` (the linguists' list of senses learners fail)."""
from . import curation, join, learner, study, trainer  # noqa: F401
