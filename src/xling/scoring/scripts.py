"""Scripts written without spaces between words, which word-based metrics must segment otherwise.

Codes are ISO 15924, as in language tags (``tha_Thai``) and in Unicode's script property
(``\\p{scx=Thai}``). ``Hans``/``Hant``/``Jpan`` are tag-only codes: the text of a ``zho_Hans``
language is in the ``Hani`` script, a ``jpn_Jpan`` one in ``Hani``, ``Hira`` and ``Kana``.
"""

from __future__ import annotations

HAN = frozenset({"Hani", "Hans", "Hant"})
JAPANESE = frozenset({"Jpan", "Hira", "Kana"})
# Thai, Lao, Khmer, Myanmar, Tibetan (its tsheg marks syllables, not words), Javanese, Balinese,
# Tai Le, New Tai Lue, Tai Tham, Yi.
OTHERS_WITHOUT_SPACES = frozenset(
    {"Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Java", "Bali", "Tale", "Talu", "Lana", "Yiii"}
)
WITHOUT_SPACES = HAN | JAPANESE | OTHERS_WITHOUT_SPACES
"""Every script code (tag or Unicode) of a script written without spaces between words."""

UNICODE_WITHOUT_SPACES = WITHOUT_SPACES - {"Hans", "Hant", "Jpan"}
"""The same scripts as Unicode script property values (for ``regex``'s ``\\p{scx=...}``)."""
