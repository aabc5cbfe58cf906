"""Search over the bank: word-based, stemmed, ranked, with a snippet and "Did you mean …?".

**The choice: one portable inverted index, not each database's own full-text search.** The
results must be the same on SQLite (development, tests) and PostgreSQL (production). PostgreSQL's
`tsvector` and SQLite's FTS5 tokenise, stem, rank and cut snippets each their own way (different
stemmers and stop words, `ts_rank` against `bm25`), so keeping them "in step" would mean two
implementations and tests that only hope they agree. Instead each question's texts are split
into words and stemmed here, once, by the rule the key points already use
(`questions.keypoints.term`: Unicode-folded, Snowball English), and stored as rows of
`SearchDocument` (one plain text: a title, an answer, key points, a follow-up's prompt or answer)
and `SearchTerm` (document, stem, count). A search is one indexed `stem IN (…)` query; ranking,
snippets and suggestions are computed in Python from those rows, in an order that never depends
on the database. For a bank of a few hundred questions this answers in a few milliseconds
(docs/performance.md, "Search").

The rules:

- **Words, not substrings.** A word is a run of letters and digits, so "RAG" matches "RAG" and
  "RAGs" but never "aveRAGing", and "KV" never "kvetch". Words are compared by their stem:
  "kv cache" finds "KV caching". Function words ("what", "is", "the") are not searched for.
- **Every term must match**, in any of a question's texts (title, answer, key points, or a
  follow-up's prompt, answer or key points).
- **Ranking**: questions whose title holds more of the terms come first; then relevance, the sum
  over each matching text of `weight(kind) × (1 + ln count) × idf(term)`, where titles and key
  points weigh more than answers and `idf = ln(1 + matched questions / questions with the term)`
  makes a rarer term count more; then the question's number.
- **Snippet**: the text holding the most of the terms (not the title, which is shown anyway; an
  answer before key points, which mostly repeat it), cut to a window of words around them,
  HTML-escaped, each matching word in `<mark>`. A question found by its title alone shows the
  start of its answer.
- **Did you mean …?**: with no result, each query word that is nowhere in the bank is replaced by
  the bank's closest word (Levenshtein distance 1, or 2 for words of six letters or more; ties go
  to the word more texts use).

The index is kept in step by signals on Question, Scenario and KeyPoint (every path that saves:
admin forms, history reverts, the import), and `manage.py rebuild_search_index` rebuilds it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length
from django.db.models.signals import post_delete, post_save
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from questions.keypoints import FUNCTION_WORDS, WORD, normalise, term
from questions.markdown import plain_text
from questions.models import (
    SEARCH_WORD_MAX_LENGTH,
    KeyPoint,
    Question,
    Scenario,
    SearchDocument,
    SearchTerm,
)

Kind = SearchDocument.Kind

# How much a term found in each kind of text counts toward relevance.
WEIGHTS = {
    Kind.TITLE: 8.0,
    Kind.KEY_POINTS: 4.0,
    Kind.SCENARIO_PROMPT: 3.0,
    Kind.ANSWER: 2.0,
    Kind.SCENARIO_KEY_POINTS: 2.0,
    Kind.SCENARIO_ANSWER: 1.5,
}
# Where a snippet comes from when several texts hold the same terms.
SNIPPET_PREFERENCE = [
    Kind.ANSWER,
    Kind.SCENARIO_ANSWER,
    Kind.SCENARIO_PROMPT,
    Kind.KEY_POINTS,
    Kind.SCENARIO_KEY_POINTS,
]
# A query of more terms than this is cut: every term must match, so more would find nothing.
MAX_QUERY_TERMS = 12
SNIPPET_WORDS = 28
# Words shown before the first match in a snippet, for context.
SNIPPET_LEAD = 6


@lru_cache(maxsize=50_000)
def search_term(word: str) -> str | None:
    """The stem a word is searched by, or None for a function word, a lone letter or a word too
    long to be one (measured case-folded: "ß" folds to "ss", a ligature to its letters)."""
    if len(word) > SEARCH_WORD_MAX_LENGTH or len(normalise(word)) > SEARCH_WORD_MAX_LENGTH:
        return None
    return term(word, ignoring=FUNCTION_WORDS)


# Indexing ----------------------------------------------------------------------------------


def documents_of(question: Any) -> list[tuple[str, str, str]]:
    """(kind, label, plain text) of each searchable text of a question.

    Duck-typed on the fields, so the data migration can index with its historical models.
    Expects `key_points` and `scenarios__key_points` prefetched.
    """
    documents = [
        (Kind.TITLE, "", question.title),
        (Kind.ANSWER, "", plain_text(question.answer)),
    ]
    points = "\n".join(point.text for point in question.key_points.all())
    if points:
        documents.append((Kind.KEY_POINTS, "", points))
    for scenario in question.scenarios.all():
        documents.append((Kind.SCENARIO_PROMPT, scenario.label, plain_text(scenario.prompt)))
        documents.append((Kind.SCENARIO_ANSWER, scenario.label, plain_text(scenario.answer)))
        points = "\n".join(point.text for point in scenario.key_points.all())
        if points:
            documents.append((Kind.SCENARIO_KEY_POINTS, scenario.label, points))
    return [(str(kind), label, text) for kind, label, text in documents if text]


def _term_counts(text: str) -> dict[str, tuple[str, int]]:
    """stem → (its commonest spelling in the text, case-folded; how often the stem occurs)."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for word in WORD.findall(text):
        stem = search_term(word)
        if stem is not None:
            spellings[stem][normalise(word)] += 1
    return {
        # The commonest spelling; a tie goes to the shortest, then the first in the alphabet.
        stem: (min(counts, key=lambda w: (-counts[w], len(w), w)), counts.total())
        for stem, counts in spellings.items()
    }


def write_index(
    questions: Iterable[Any],
    *,
    document_model: Any = SearchDocument,
    term_model: Any = SearchTerm,
) -> None:
    """Write the documents and terms of `questions` (whose old ones are already gone)."""
    documents = []
    for question in questions:
        for kind, label, text in documents_of(question):
            documents.append(
                document_model(question_id=question.pk, kind=kind, label=label, text=text)
            )
    # Both databases return the new primary keys from a bulk insert (SQLite ≥ 3.35).
    document_model.objects.bulk_create(documents)
    rows = [
        (document.pk, stem, word, count)
        for document in documents
        for stem, (word, count) in _term_counts(document.text).items()
    ]
    # Some 13,000 rows for the bundled bank: one plain executemany, not 13,000 model instances
    # (which took three quarters of the time of an import).
    table = term_model._meta.db_table
    connection = connections[router.db_for_write(term_model)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in ("document_id", "stem", "word", "count"))
    # In a transaction: outside one, SQLite would commit (and sync) every row.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({columns}) VALUES (%s, %s, %s, %s)",  # noqa: S608
            rows,
        )


def index_questions(question_ids: Iterable[int]) -> None:
    """Rebuild the index of these questions from what is stored now (deleted ones drop out)."""
    ids = set(question_ids)
    if not ids:
        return
    with transaction.atomic():
        _reindex(ids)


def _reindex(ids: set[int]) -> None:
    SearchTerm.objects.filter(document__question_id__in=ids).delete()
    SearchDocument.objects.filter(question_id__in=ids).delete()
    write_index(
        Question.objects.filter(pk__in=ids).prefetch_related("key_points", "scenarios__key_points")
    )


def rebuild_index() -> int:
    """The whole index from scratch; the number of documents written."""
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchDocument.objects.all().delete()
        write_index(Question.objects.prefetch_related("key_points", "scenarios__key_points"))
        return SearchDocument.objects.count()


_pending: ContextVar[set[int] | None] = ContextVar("search_pending", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Index each question changed inside the block once, at its end, instead of at every save
    (an import saves a question, its scenarios and their points one by one)."""
    if _pending.get() is not None:  # already in a batch: the outer one indexes
        yield
        return
    token = _pending.set(set())
    try:
        yield
        changed = _pending.get() or set()
    finally:
        _pending.reset(token)
    connection = transaction.get_connection()
    if connection.in_atomic_block and connection.get_rollback():
        return  # a dry run: everything, the index too, is about to be rolled back
    index_questions(changed)


def question_changed(question_id: int | None) -> None:
    """The question's texts changed: index it now, or at the end of the current batch."""
    if question_id is None:
        return
    pending = _pending.get()
    if pending is None:
        index_questions([question_id])
    else:
        pending.add(question_id)


def _deleted_with_its_question(origin: Any) -> bool:
    """Deleting a question cascades to its scenarios and points, and its documents go too:
    indexing it again halfway would write rows that point at the question being deleted."""
    if isinstance(origin, Question):
        return True
    return isinstance(origin, QuerySet) and origin.model is Question


def _on_question_saved(sender: type[Question], instance: Question, **kwargs: Any) -> None:
    if not kwargs.get("raw"):
        question_changed(instance.pk)


def _on_scenario_changed(sender: type[Scenario], instance: Scenario, **kwargs: Any) -> None:
    if kwargs.get("raw") or _deleted_with_its_question(kwargs.get("origin")):
        return
    question_changed(instance.question_id)


def _on_key_point_changed(sender: type[KeyPoint], instance: KeyPoint, **kwargs: Any) -> None:
    if kwargs.get("raw") or _deleted_with_its_question(kwargs.get("origin")):
        return
    if instance.question_id is not None:
        question_changed(instance.question_id)
    elif instance.scenario_id is not None:
        # Gone already when its scenario's deletion cascaded here: that deletion reindexes.
        owner = Scenario.objects.filter(pk=instance.scenario_id).values_list("question_id")
        question_changed(next(iter(owner.first() or ()), None))


def connect_signals() -> None:
    """Called once from the app's ready()."""
    post_save.connect(_on_question_saved, sender=Question, dispatch_uid="search-question")
    for signal in (post_save, post_delete):
        signal.connect(_on_scenario_changed, sender=Scenario, dispatch_uid="search-scenario")
        signal.connect(_on_key_point_changed, sender=KeyPoint, dispatch_uid="search-key-point")


# Searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    question: Question
    title: SafeString  # escaped, the matching words marked
    source: str  # which text the snippet comes from: "Answer", "Scenario answer 3.1"
    snippet: SafeString  # escaped, the matching words marked


@dataclass(frozen=True)
class Results:
    hits: list[Hit] = field(default_factory=list)
    # Set when the query has no word worth searching for ("what is the").
    only_common_words: bool = False
    # The query with each word the bank does not know replaced by its closest word.
    suggestion: str = ""


def _query_terms(query: str) -> list[tuple[str, str | None]]:
    """(word as typed, its search term or None) for each word of the query."""
    return [(word, search_term(word)) for word in WORD.findall(query)]


def source_label(kind: str, label: str) -> str:
    names = {
        Kind.TITLE: "Title",
        Kind.ANSWER: "Answer",
        Kind.KEY_POINTS: "Key points",
        Kind.SCENARIO_PROMPT: f"Scenario {label}",
        Kind.SCENARIO_ANSWER: f"Scenario answer {label}",
        Kind.SCENARIO_KEY_POINTS: f"Key points of scenario {label}",
    }
    return names[Kind(kind)]


@dataclass
class _Candidate:
    number: int
    terms: set[str] = field(default_factory=set)
    title_terms: set[str] = field(default_factory=set)
    relevance: float = 0.0
    # (kind, label) → (distinct terms, score, document id) of each non-title text that matched
    texts: dict[tuple[str, str], tuple[int, float, int]] = field(default_factory=dict)

    def best_text(self) -> int | None:
        """The document to cut the snippet from: the most distinct terms, then the answer
        before the key points (mostly its own sentences, derived from it), then the score; never
        by id, which differs between databases."""
        if not self.texts:
            return None
        (_, _), (_, _, document_id) = min(
            self.texts.items(),
            key=lambda item: (
                -item[1][0],
                SNIPPET_PREFERENCE.index(Kind(item[0][0])),
                -item[1][1],
                item[0][1],
            ),
        )
        return document_id


def search(query: str, *, within: QuerySet[Question]) -> Results:
    """The questions of `within` that hold every term of `query`, best first (module rules)."""
    words = _query_terms(query)
    wanted = list(dict.fromkeys(stem for _, stem in words if stem))[:MAX_QUERY_TERMS]
    if not wanted:
        return Results(only_common_words=bool(words))
    postings = sorted(
        SearchTerm.objects.filter(
            stem__in=wanted, document__question__in=within.order_by().values("pk")
        ).values_list(
            "document__question_id",
            "document__question__number",
            "document_id",
            "document__kind",
            "document__label",
            "stem",
            "count",
        ),
        # Sums of floats depend on their order: fix it, whatever order the database chose.
        key=lambda row: (row[1], row[3], row[4], row[5]),
    )
    candidates: dict[int, _Candidate] = {}
    questions_with: dict[str, set[int]] = defaultdict(set)
    for question_id, number, _, _, _, stem, _ in postings:
        candidates.setdefault(question_id, _Candidate(number)).terms.add(stem)
        questions_with[stem].add(question_id)
    matched = {pk: c for pk, c in candidates.items() if len(c.terms) == len(wanted)}
    if not matched:
        return Results(suggestion=_suggestion(words, set(questions_with), within))
    idf = {
        stem: math.log(1 + len(candidates) / len(question_ids))
        for stem, question_ids in questions_with.items()
    }
    for question_id, _, document_id, kind, label, stem, count in postings:
        candidate = matched.get(question_id)
        if candidate is None:
            continue
        score = WEIGHTS[Kind(kind)] * (1 + math.log(count)) * idf[stem]
        candidate.relevance += score
        if kind == Kind.TITLE:
            candidate.title_terms.add(stem)
            continue
        distinct, total, _ = candidate.texts.get((kind, label), (0, 0.0, document_id))
        candidate.texts[(kind, label)] = (distinct + 1, total + score, document_id)
    ranked = sorted(
        matched.items(),
        key=lambda item: (-len(item[1].title_terms), -round(item[1].relevance, 9), item[1].number),
    )
    return Results(hits=_hits(ranked, set(wanted)))


def _hits(ranked: list[tuple[int, _Candidate]], wanted: set[str]) -> list[Hit]:
    """Each ranked question with its title and snippet: one query for the texts and questions."""
    best = {question_id: candidate.best_text() for question_id, candidate in ranked}
    title_only = [question_id for question_id, document_id in best.items() if document_id is None]
    documents = SearchDocument.objects.filter(
        Q(pk__in=[pk for pk in best.values() if pk is not None])
        | Q(question_id__in=title_only, kind=Kind.ANSWER)
    ).select_related("question__category")
    by_question = {document.question_id: document for document in documents}
    hits = []
    for question_id, _ in ranked:
        document = by_question.get(question_id)
        if document is None:  # the question lost its texts since the postings were read
            continue
        hits.append(
            Hit(
                question=document.question,
                title=highlight(document.question.title, wanted),
                source=source_label(document.kind, document.label),
                snippet=snippet(document.text, wanted),
            )
        )
    return hits


def highlight(text: str, wanted: set[str]) -> SafeString:
    """`text`, escaped, each word whose search term is wanted wrapped in <mark>."""
    return _marked(text, wanted, 0, None)


def _marked(text: str, wanted: set[str], start: int, end: int | None) -> SafeString:
    pieces: list[str] = []
    position = start
    for word in WORD.finditer(text, start, len(text) if end is None else end):
        pieces.append(escape(text[position : word.start()]))
        if search_term(word.group()) in wanted:
            pieces.append(f"<mark>{escape(word.group())}</mark>")
        else:
            pieces.append(escape(word.group()))
        position = word.end()
    pieces.append(escape(text[position:end]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of the text was escaped


def snippet(text: str, wanted: set[str]) -> SafeString:
    """A window of about `SNIPPET_WORDS` words of `text` around the most distinct wanted terms
    (escaped, the matches marked), with "…" where it was cut."""
    text = " ".join(text.split())  # a snippet is one line
    words = list(WORD.finditer(text))
    if not words:
        return mark_safe("")
    hits = [index for index, word in enumerate(words) if search_term(word.group()) in wanted]
    first = 0
    if hits:
        # The window starting just before a match that covers the most distinct terms.
        def covered(index: int) -> int:
            window = words[index : index + SNIPPET_WORDS - SNIPPET_LEAD]
            return len({search_term(word.group()) for word in window} & wanted)

        first = max(hits, key=lambda index: (covered(index), -index))
        first = max(0, first - SNIPPET_LEAD)
    last = min(len(words), first + SNIPPET_WORDS) - 1
    start = 0 if first == 0 else words[first].start()
    end = len(text) if last == len(words) - 1 else words[last].end()
    body = _marked(text, wanted, start, end)
    before = "… " if start else ""
    after = " …" if end < len(text) else ""
    return mark_safe(f"{before}{body}{after}")  # noqa: S308 - _marked escaped the text


# Did you mean …? ---------------------------------------------------------------------------


@lru_cache(maxsize=50_000)
def _bigrams(word: str) -> frozenset[str]:
    return frozenset(word[index : index + 2] for index in range(len(word) - 1))


def _max_distance(word: str) -> int:
    return 1 if len(word) < 6 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` once it is sure to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for row, char_a in enumerate(a, 1):
        current = [row]
        for column, char_b in enumerate(b, 1):
            current.append(
                min(
                    previous[column] + 1,
                    current[column - 1] + 1,
                    previous[column - 1] + (char_a != char_b),
                )
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _suggestion(
    words: list[tuple[str, str | None]], known: set[str], within: QuerySet[Question]
) -> str:
    """The query with each word that no question of `within` has (`known` are the stems found)
    replaced by the closest word they do have; "" when every word is there (just never
    together) or nothing is close."""
    unknown = {normalise(word) for word, stem in words if stem and stem not in known}
    if not unknown:
        return ""
    lengths = Q()
    for word in unknown:
        spread = _max_distance(word)
        lengths |= Q(length__range=(len(word) - spread, len(word) + spread))
    vocabulary = (
        SearchTerm.objects.filter(document__question__in=within.order_by().values("pk"))
        .annotate(length=Length("word"))
        .filter(lengths)
        .values_list("word")
        .annotate(uses=Count("pk"))
    )
    by_word = dict(vocabulary)
    replaced = []
    for typed, stem in words:
        closest = None if stem is None or stem in known else _closest(typed, by_word)
        replaced.append(closest or typed)
    return " ".join(replaced) if replaced != [typed for typed, _ in words] else ""


def _closest(typed: str, vocabulary: dict[str, int]) -> str | None:
    word = normalise(typed)
    limit = _max_distance(word)
    grams = _bigrams(word)
    # One edit loses at most two of a word's bigrams: a word sharing fewer is too far.
    enough = len(grams) - 2 * limit
    scored = []
    for candidate, uses in vocabulary.items():
        if len(grams & _bigrams(candidate)) < enough:
            continue
        distance = edit_distance(word, candidate, limit)
        if distance <= limit:
            scored.append((distance, -uses, candidate))
    return min(scored)[2] if scored else None
