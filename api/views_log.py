"""JSON beside the log's tiles: inclusion and consistency proofs, and pages of entries.

Public like the tiles (no API key): everything here can be recomputed from /log/tile/, and
anyone checking the registry (an artist, an auditor) must be able to ask. Hashes and entries
are standard base64; errors are RFC 9457 problems (api.errors).
"""

import base64

from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema_log
from api.errors import invalid
from consent.transparency import log, merkle

ENTRIES_MAX = 1000
BIGINT_MAX = 2**63 - 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _int(params, name: str, minimum: int = 0) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        raise invalid(f"{name} is required.", field=name)
    if not (raw.isascii() and raw.isdigit()):  # "²" is a digit to isdigit, not to int
        raise invalid(f"{name} must be a non-negative integer.", field=name)
    value = int(raw)
    if value < minimum:
        raise invalid(f"{name} must be at least {minimum:,}.", field=name)
    if value > BIGINT_MAX:
        raise invalid(f"{name} must be at most {BIGINT_MAX:,}.", field=name)
    return value


def _within_log(name: str, value: int, size: int) -> None:
    if value > size:
        raise invalid(
            f"{name}={value:,} is beyond the log, which has {size:,} entries.", field=name
        )


class _PublicLogView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []


class InclusionProofView(_PublicLogView):
    """GET /api/v1/log/proof/inclusion?index=&tree_size=: entry `index` is in that tree."""

    @schema_log.inclusion
    def get(self, request):
        index = _int(request.query_params, "index")
        tree_size = _int(request.query_params, "tree_size", 1)
        _within_log("tree_size", tree_size, log.size())
        if index >= tree_size:
            raise invalid(f"index must be below tree_size ({tree_size:,}).", field="index")
        hashes = log.inclusion(index, tree_size)
        (data,) = log.entries(index, index + 1)
        return Response(
            {
                "index": index,
                "tree_size": tree_size,
                "leaf_hash": _b64(merkle.leaf_hash(data)),
                "root_hash": _b64(log.root(tree_size)),
                "hashes": [_b64(h) for h in hashes],
            }
        )


class ConsistencyProofView(_PublicLogView):
    """GET /api/v1/log/proof/consistency?old=&new=: the tree of size `new` extends that of `old`."""

    @schema_log.consistency
    def get(self, request):
        old = _int(request.query_params, "old", 1)
        new = _int(request.query_params, "new", 1)
        _within_log("new", new, log.size())
        if old > new:
            raise invalid("old must not be above new.", field="old")
        return Response(
            {
                "old": old,
                "new": new,
                "old_root_hash": _b64(log.root(old)),
                "new_root_hash": _b64(log.root(new)),
                "hashes": [_b64(h) for h in log.consistency(old, new)],
            }
        )


class EntriesView(_PublicLogView):
    """GET /api/v1/log/entries?start=&end=: entries start..end-1, at most ENTRIES_MAX."""

    @schema_log.entries
    def get(self, request):
        start = _int(request.query_params, "start")
        end = _int(request.query_params, "end")
        size = log.size()
        if end <= start:
            raise invalid("end must be above start.", field="end")
        if end - start > ENTRIES_MAX:
            raise invalid(f"At most {ENTRIES_MAX:,} entries per page.", field="end")
        _within_log("end", end, size)
        rows = log.entries(start, end)
        return Response(
            {
                "start": start,
                "end": end,
                "tree_size": size,
                "entries": [
                    {
                        "index": start + offset,
                        "data": _b64(data),
                        "leaf_hash": _b64(merkle.leaf_hash(data)),
                    }
                    for offset, data in enumerate(rows)
                ],
            }
        )
