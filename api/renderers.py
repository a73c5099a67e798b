"""JSON out with orjson: the API answers batches of 10,000 and pages of 10,000 events.

Every datetime in an answer, a snapshot line or a webhook body is written by `consent.times`
(RFC 3339, UTC, microseconds, `Z`), never in orjson's own spelling.
"""

from datetime import datetime

import orjson
from rest_framework.renderers import JSONRenderer

from consent.times import rfc3339

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(value):
    if isinstance(value, datetime):
        return rfc3339(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data) -> bytes:
    return orjson.dumps(data, default=_default, option=OPTIONS)


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class ProblemJSONRenderer(FastJSONRenderer):
    media_type = "application/problem+json"
