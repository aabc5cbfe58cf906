"""How long search takes over the bundled bank: 20 varied queries, on the database DATABASE_URL
names (SQLite by default). A measurement, not a test: figures in docs/performance.md, "Search".

    DATABASE_URL=sqlite:////tmp/search-timing.sqlite3 .venv/bin/python bench/search_timing.py
    createdb -h 127.0.0.1 -U postgres search_timing
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_timing
    .venv/bin/python bench/search_timing.py

It migrates that database and imports the bundled bank (both idempotent), then times each query
`--rounds` times after one warm-up: `questions.search.search` alone (the index query, ranking,
snippets; a miss includes "Did you mean") and the whole list page through Django's test client
(the view, its three queries and the template, no network). Medians and the slowest round, in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interview_prep.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "search-timing-only")

QUERIES = [
    "kv cache",
    "RAG",
    "ControlNet",
    "hallucinaton",  # a typo: no result, a suggestion
    "attention",  # one of the commonest words of the bank
    "LoRA quantization",
    "fine-tuning",
    "transformer architecture",
    "temperature sampling",
    "vector database embeddings",
    "prompt injection",
    "RLHF reward model",
    "beam search",
    "diffusion",
    "evaluation metrics BLEU ROUGE",
    "mixture of experts",
    "what is the",  # only common words
    "tokenization subword",
    "latency throughput batching",
    "sourdough",  # nothing close
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from questions import search
    from questions.bank import BUNDLED_BANK, read_bank
    from questions.importing import import_bank
    from questions.models import Question

    call_command("migrate", verbosity=0)
    import_bank(read_bank(BUNDLED_BANK))
    settings.ALLOWED_HOSTS = ["*"]
    # As in the tests: the hashed-names manifest would need `collectstatic` first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()

    def timed(action: object) -> list[float]:
        assert callable(action)
        action()  # warm-up
        rounds = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            action()
            rounds.append((time.perf_counter() - start) * 1000)
        return rounds

    print(f"{connection.vendor}, {Question.objects.count()} questions, {args.rounds} rounds")
    print(f"{'query':34} {'hits':>4}  search median / max   page median / max")
    worst = 0.0
    for query in QUERIES:
        results = search.search(query, within=Question.objects.active())
        alone = timed(lambda q=query: search.search(q, within=Question.objects.active()))
        page = timed(lambda q=query: client.get("/questions/", {"q": q}))
        worst = max(worst, statistics.median(alone))
        shown = f"{query} → {results.suggestion}" if results.suggestion else query
        print(
            f"{shown:34} {len(results.hits):4}  {statistics.median(alone):6.1f} / "
            f"{max(alone):6.1f}     {statistics.median(page):6.1f} / {max(page):6.1f}"
        )
    print(f"slowest median search: {worst:.1f} ms")


if __name__ == "__main__":
    main()
