"""JSON out with orjson: the API answers batches of 10,000 and pages of 10,000 events."""

import orjson
from rest_framework.renderers import JSONRenderer

OPTIONS = orjson.OPT_NON_STR_KEYS


def iso(at) -> str:
    """An instant in RFC 3339 with `Z`, as the API writes `as_of` and webhook timestamps."""
    return at.isoformat().replace("+00:00", "Z")


def dumps(data) -> bytes:
    return orjson.dumps(data, option=OPTIONS)


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class ProblemJSONRenderer(FastJSONRenderer):
    media_type = "application/problem+json"
