"""What a receipt adds to one lookup, in microseconds of the serving process, measured in
process against the bench database (`make bench` seeds it):

    DATABASE_URL=postgres://…/registry_bench REDIS_URL=redis://… python bench/receipt_cost.py

Times (elapsed, and CPU time of the process and its PostgreSQL backend, read from /proc),
per call, the best of 5 interleaved rounds of N random seeded ISRCs: the lookup's
statements without and with the log's state read beside the answer
(`consent.lookup.answer_queries(…, state)`), the statement that read the state on its own
before (`receipts._newest_state`), and signing the receipt once the answer is known
(`receipts.receipt`, with the checkpoint this process knows).
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_env import production  # noqa: E402

for name, value in production("bench-receipt-cost-" + "x" * 50).items():
    os.environ.setdefault(name, value)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from consent.lookup import Query, answer_queries  # noqa: E402
from consent.times import rfc3339  # noqa: E402
from consent.transparency import receipts  # noqa: E402

N = int(os.environ.get("RECEIPT_COST_N", "2000"))


def backend_ticks() -> int:
    """CPU time (user + system, clock ticks) of the PostgreSQL backend of this connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def per_call(function, items) -> tuple[float, float]:
    """Microseconds per call of one round over `items`: elapsed, and CPU time of this process
    and of its PostgreSQL backend together (what other work on the machine inflates less)."""
    ticks = backend_ticks()
    cpu = time.process_time()
    started = time.perf_counter()
    for item in items:
        function(item)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu + (backend_ticks() - ticks) / os.sysconf("SC_CLK_TCK")
    return elapsed / len(items) * 1e6, cpu / len(items) * 1e6


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT isrc FROM consent_track ORDER BY id LIMIT 50000")
        isrcs = [row[0] for row in cursor.fetchall()]
    random.seed(7)
    queries = [Query("isrc", isrc) for isrc in random.sample(isrcs, N)]
    for query in queries[:50]:  # prepared statements, caches, the key recorded
        answer_queries([query])
        answer_queries([query], state=[])
    state: list = []
    answer_queries([queries[0]], state=state)
    read = state[0]
    body = b'{"query":{"isrc":"X"}' + b"x" * 1200 + b"}"
    at = timezone.now()

    def sign(_):
        receipts.receipt(
            read=read,
            at=at,
            as_of=rfc3339(at),
            method="GET",
            path="/api/v1/consent",
            query="isrc=USRC17607839&receipt=true",
            request_body=None,
            status=200,
            content_type="application/json",
            body=body,
        )

    sign(None)
    measures = {
        "plain": lambda q: answer_queries([q]),
        "with_state": lambda q: answer_queries([q], state=state),
        "alone": lambda q: receipts._newest_state(),
        "signing": sign,
    }
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in measures}
    for _ in range(5):  # interleaved, so that the machine's other work weighs on each alike
        for name, function in measures.items():
            rounds[name].append(per_call(function, queries))
    for position, what in ((0, "elapsed"), (1, "CPU, this process and its backend")):
        plain, with_state, alone, signing = (
            min(run[position] for run in rounds[name]) for name in measures
        )
        print(f"{what}, µs per call (best of 5 rounds of {N}):")
        print(f"  lookup statement, plain:                 {plain:8.1f}")
        print(f"  lookup statement, with the log's state:  {with_state:8.1f}")
        print(f"  state read by a statement of its own:    {alone:8.1f} (before)")
        print(f"  receipt payload and signature:           {signing:8.1f}")
        print(f"  a receipt adds:                          {with_state - plain + signing:8.1f}")


if __name__ == "__main__":
    main()
