"""The pages of the ``admin`` blueprint, one module per area: dashboard, entries, review,
imports (with their pages and job status), export, quality lists, users.

Where it sits: HTTP only. Each view parses the request, calls one operation of the
curation package (``workflow``, ``importer``, ``quality``, ``review``, ``export``, …) and
renders; the blueprint (``curation.bp``) and its guard live in ``curation/__init__``.
"""

# Importing a module registers its routes on ``curation.bp``. Imported here, not in
# ``curation/__init__``, so that names such as ``curation.quality`` and ``curation.review`` stay
# the domain modules, not these pages.
from . import dashboard, entries, export, imports, quality, review, users  # noqa: E402,F401
