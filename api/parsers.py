"""Request bodies up to API_MAX_BODY_BYTES, read straight from the stream.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards the website's forms; the API takes batches of 10,000
items, which may be larger, so its parsers read the stream themselves with their own limit.
The bytes read are kept on the request as `received_body`: a receipt (api/receipts.py) states
their SHA-256.
"""

import orjson
from django.conf import settings
from rest_framework.parsers import BaseParser

from api.errors import ProblemError, invalid


def read_limited(stream, parser_context=None) -> bytes:
    limit = settings.API_MAX_BODY_BYTES
    if stream is None:
        return b""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ProblemError("too-large", f"The request body is larger than {limit:,} bytes.")
    request = (parser_context or {}).get("request")
    if request is not None:
        request.received_body = data
    return data


class JSONBodyParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        data = read_limited(stream, parser_context)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise invalid(f"The body is not valid JSON: {exc}.") from exc


class PlainTextParser(BaseParser):
    media_type = "text/plain"

    def parse(self, stream, media_type=None, parser_context=None) -> str:
        data = read_limited(stream, parser_context)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise invalid("The body must be UTF-8 text.") from exc
