"""Text rules and the Whoosh index; plain Python, no Flask, no SQLAlchemy.

The only package that imports ``whoosh``. It is handed plain dicts, never ORM objects:
``documents.make_document`` turns an entry dict into an index document with its lookup keys,
``store.SearchIndex`` keeps the index on disk, ``tables`` reads each segment's keys into
in-memory lookup tables, ``query.search`` answers a query tier by tier.
"""
from .documents import make_document, make_documents
from .query import Hit, Results, search
from .store import IndexBusy, IndexMissing, SearchIndex

__all__ = ["Hit", "IndexBusy", "IndexMissing", "Results", "SearchIndex", "make_document", "make_documents", "search"]
