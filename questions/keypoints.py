"""Key points: the first list derived from a model answer, and which ones a candidate's notes
already mention.

Both rules are deterministic and explainable; neither uses a language model or the network.

Derivation (`derive_key_points`), on the answer's Markdown structure:

1. An answer with a list: each list item is a point (the line introducing the list is not).
2. Otherwise, an answer of several paragraphs: the first sentence of each paragraph.
3. Otherwise, a one-paragraph answer: its sentences, at most five.

Each point is plain text (Markdown emphasis and code marks dropped), at most
`KEY_POINT_MAX_LENGTH` characters (cut at a word, with "…"), and there are at most
`MAX_DERIVED_POINTS` of them, one for each of the letters a–f that tick them. Sentences are split
by pysbd, which knows abbreviations ("e.g.", "vs.") and decimals ("2.5x") that a regex trips on.

Matching (`mentions`): both texts are normalised (Unicode NFKD without accents, case-folded),
split into words, stripped of stop words and stemmed with the Snowball English stemmer, so
"caching" matches "cache" and "RAG" never matches "averaging". Terms of the question itself (its
title, or a follow-up's prompt) do not count: repeating "generative AI" in notes on "What is
Generative AI?" covers nothing. A point is mentioned when the notes contain at least half of its
remaining terms, or three of them for a long point.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pysbd
import snowballstemmer
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from questions.markdown import inline_text, parse_markdown
from questions.models import KEY_POINT_MAX_LENGTH

MAX_DERIVED_POINTS = 6
MAX_SENTENCES_OF_ONE_PARAGRAPH = 5
# A long point counts as mentioned with this many of its terms, whatever its length.
TERMS_ENOUGH_FOR_A_LONG_POINT = 3

# Function words: they carry no topic, for matching notes or for search.
FUNCTION_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each etc few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just like me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    eg ie vs via
    """.split()  # noqa: SIM905 - a word list reads better than 150 quoted strings
)
# Words nearly every answer of this bank uses: matching notes on them would mark every point as
# mentioned. Search keeps them ("model merging" should want "model").
STOP_WORDS = FUNCTION_WORDS | {"model", "models", "use", "used", "uses", "using"}

# A word: letters and digits, so "fine-tuning" is two words and "aveRAGing" never holds "RAG".
WORD = re.compile(r"\w+")


# Derivation --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[str]:
    return [sentence.strip() for sentence in _segmenter().segment(text) if sentence.strip()]


def _shorten(text: str) -> str:
    if len(text) <= KEY_POINT_MAX_LENGTH:
        return text
    cut = text[: KEY_POINT_MAX_LENGTH - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def _paragraphs_and_list_items(answer: str) -> tuple[list[str], list[str]]:
    """The plain text of each top-level paragraph, and of each list item (at any depth)."""
    paragraphs: list[str] = []
    list_items: list[str] = []
    depth = 0
    in_item_paragraph = False
    for token in parse_markdown(answer):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open":
            in_item_paragraph = False
        elif token.type == "inline":
            text = inline_text(token)
            if not text:
                continue
            if depth == 0:
                paragraphs.append(text)
            elif not in_item_paragraph:  # an item's first paragraph names it
                list_items.append(text)
                in_item_paragraph = True
    return paragraphs, list_items


def derive_key_points(answer: str) -> list[str]:
    """The first list of key points for an answer, by the rule in this module's docstring."""
    paragraphs, list_items = _paragraphs_and_list_items(answer)
    if list_items:
        points = list_items
    elif len(paragraphs) > 1:
        points = [sentences(paragraph)[0] for paragraph in paragraphs]
    elif paragraphs:
        points = sentences(paragraphs[0])[:MAX_SENTENCES_OF_ONE_PARAGRAPH]
    else:
        points = []
    unique = list(dict.fromkeys(_shorten(point) for point in points if point))
    return unique[:MAX_DERIVED_POINTS]


# Matching ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Case-folded, accents dropped: "Naïve" and "naive" are one word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@lru_cache(maxsize=50_000)
def term(word: str, *, ignoring: frozenset[str] = STOP_WORDS) -> str | None:
    """The stem a word is matched by, or None for a lone letter or a word in `ignoring`.

    The one home of "a word's term", for the notes' key points and for search alike.
    """
    word = normalise(word)
    if len(word) < 2 or word in ignoring:
        return None
    return _stemmer().stemWord(word)


def terms(text: str) -> set[str]:
    """The stemmed terms of a text, without stop words."""
    return {found for word in WORD.findall(text) if (found := term(word))}


def terms_needed(point_terms: int) -> int:
    """How many of a point's terms the notes must contain for it to count as mentioned."""
    return min(TERMS_ENOUGH_FOR_A_LONG_POINT, math.ceil(point_terms / 2))


@dataclass(frozen=True)
class Mention:
    """Whether the notes mention one key point, and through which terms."""

    mentioned: bool
    matched: frozenset[str]


def mentions(points: Sequence[str], notes: str, *, topic: str = "") -> list[Mention]:
    """For each point, whether `notes` mention it, leaving out the terms of `topic` (the
    question asked); see the module docstring for the rule."""
    given = terms(topic)
    note_terms = terms(notes) - given
    result = []
    for point in points:
        point_terms = terms(point) - given
        matched = frozenset(point_terms & note_terms)
        enough = bool(point_terms) and len(matched) >= terms_needed(len(point_terms))
        result.append(Mention(mentioned=enough, matched=matched if enough else frozenset()))
    return result


def highlight(notes: str, matched: Iterable[str]) -> SafeString:
    """The notes, escaped, with each word whose term was matched wrapped in <mark>."""
    wanted = set(matched)
    pieces: list[str] = []
    position = 0
    for word in WORD.finditer(notes):
        pieces.append(escape(notes[position : word.start()]))
        if term(word.group()) in wanted:
            pieces.append(f"<mark>{escape(word.group())}</mark>")
        else:
            pieces.append(escape(word.group()))
        position = word.end()
    pieces.append(escape(notes[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of the notes was escaped
