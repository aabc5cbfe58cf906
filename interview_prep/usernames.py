"""Usernames that cannot pass for someone else's.

Django's UsernameField already normalises to NFKC (fullwidth "ａｄｍｉｎ" becomes "admin") and
UserCreationForm refuses a name that differs from a taken one only in case. What neither catches
is a look-alike: Cyrillic "аdmin" beside Latin "admin". Two rules here:

- a name that mixes scripts with characters confusable across them (Latin with Cyrillic or
  Greek look-alikes) is refused outright: confusable-homoglyphs' `is_dangerous`, the check
  django-registration uses, from the Unicode consortium's confusables data;
- any other name is refused when its *skeleton* equals an existing name's. The skeleton is the
  name with each non-ASCII character that has an ASCII look-alike in that same data replaced by
  it, case-folded, and with a few ASCII look-alikes folded together (0/o, 1/l, rn/m; not
  capital I/l, which case-folding cannot tell from i). So an all-Cyrillic "асе" cannot join
  beside "ace".

Existing names are read once per sign-up (one query, skeletons computed in Python): about 10 ms
of Python per 10,000 accounts, and sign-ups are throttled. Two sign-ups racing with look-alike
names can both pass; the exact-name race is still closed by the database's unique constraint.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables
from django.contrib.auth.models import User

MIXED_SCRIPT_MESSAGE = (
    "This username mixes letters of different alphabets that look alike "
    "(for example Latin and Cyrillic). Use letters of one alphabet."
)
LOOK_ALIKE_MESSAGE = "This username looks too much like an existing one. Choose another."

# ASCII characters that sans-serif fonts draw (nearly) alike, after case-folding.
_ASCII_LOOK_ALIKES = (("rn", "m"), ("0", "o"), ("1", "l"), ("|", "l"))


@lru_cache(maxsize=4096)
def _ascii_look_alike(char: str) -> str:
    """An ASCII letter or digit `char` is confusable with, or `char` itself."""
    if char.isascii():
        return char
    for glyph in confusables.confusables_data.get(char, ()):
        candidate: str = glyph["c"]
        if len(candidate) == 1 and candidate.isascii() and candidate.isalnum():
            return candidate
    return char


def skeleton(username: str) -> str:
    """What `username` looks like: equal skeletons mean names a reader could mistake."""
    text = unicodedata.normalize("NFKC", username)
    text = "".join(_ascii_look_alike(char) for char in text).casefold()
    for look_alike, prototype in _ASCII_LOOK_ALIKES:
        text = text.replace(look_alike, prototype)
    return text


def look_alike_problem(username: str) -> str | None:
    """Why `username` may not be taken as a new name, or None when it may."""
    if confusables.is_dangerous(username):
        return MIXED_SCRIPT_MESSAGE
    wanted = skeleton(username)
    taken = User.objects.values_list("username", flat=True).iterator(chunk_size=2000)
    if any(skeleton(name) == wanted for name in taken):
        return LOOK_ALIKE_MESSAGE
    return None
