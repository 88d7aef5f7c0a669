"""Marking the query's words in result text (``<mark>``), for the results page.

Sits between the search service and the templates: the search says *which* entries match;
this only shows *where*, by comparing loose keys (no tones, no marks, ``đ→d``) word by word,
so ``tro`` marks ``trò`` and ``Tro``. Everything that is not a matched word is escaped:
the result is safe to put in a page whatever the text or the query contain.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from search_index import normalize
from search_index.chars import is_word_char

# The query is user input: look at a bounded piece of it (a results page must stay cheap).
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8


def _pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_word) runs, in order, losing nothing."""
    out: list[tuple[str, bool]] = []
    for ch in text:
        w = is_word_char(ch)
        if out and out[-1][1] == w:
            out[-1] = (out[-1][0] + ch, w)
        else:
            out.append((ch, w))
    return out


def query_keys(query: str, rules=None) -> list[str]:
    """Loose keys of the query's words, longest first, duplicates and empties dropped.

    >>> query_keys("Con CHÓ  chó (đen)")
    ['con', 'cho', 'den']
    """
    keys: list[str] = []
    for word in normalize.words(query[:MAX_QUERY_CHARS])[:MAX_QUERY_WORDS]:
        key = normalize.loose_key(word, rules)
        if key and key not in keys:
            keys.append(key)
    return keys


def highlight(text: str | None, query: str | None, rules=None,
              keys: list[str] | None = None) -> Markup:
    """``text`` escaped, with each word whose loose key starts with a query word's loose key
    wrapped in ``<mark>``. ``rules`` are the text's language rules (``None`` for Vietnamese).

    >>> highlight("Con chó đen", "cho")
    Markup('Con <mark>chó</mark> đen')
    >>> highlight("tro; tro bếp", "TRÒ")
    Markup('<mark>tro</mark>; <mark>tro</mark> bếp')
    >>> highlight("đường đi", "duo")  # a prefix of the word's loose key
    Markup('<mark>đường</mark> đi')
    >>> highlight("<b>tro</b> & <i>x</i>", "tro <script>")
    Markup('&lt;b&gt;<mark>tro</mark>&lt;/b&gt; &amp; &lt;i&gt;x&lt;/i&gt;')
    >>> highlight("ʼbơ̆k đen", "bơk")  # letters with no precomposed form stay whole
    Markup('<mark>ʼbơ̆k</mark> đen')
    >>> highlight("nothing here", ""), highlight(None, "x")
    (Markup('nothing here'), Markup(''))
    """
    if not text:
        return Markup("")
    if keys is None:  # a results page passes the keys it worked out once (``query_keys``)
        keys = query_keys(query or "", rules)
    if not keys:
        return escape(text)
    out = []
    for piece, is_word in _pieces(text):
        if is_word:
            key = normalize.loose_key(piece, rules)
            if key and any(key.startswith(k) for k in keys):
                out.append(Markup("<mark>%s</mark>") % piece)
                continue
        out.append(escape(piece))
    return Markup("").join(out)
