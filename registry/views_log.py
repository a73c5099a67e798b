"""The transparency log's read path, in the C2SP formats any CDN can cache, and its public page.

- /log/checkpoint: the newest signed checkpoint (c2sp.org/tlog-checkpoint in a
  c2sp.org/signed-note), with the witnesses' cosignature lines appended;
- /log/tile/<L>/<N>[.p/<W>] and /log/tile/entries/<N>[.p/<W>]: c2sp.org/tlog-tiles, height 8;
  a full tile never changes, so it is served as immutable;
- POST /log/checkpoint/<size>/cosignatures: a configured witness adds its cosignature
  (c2sp.org/tlog-cosignature) to a stored checkpoint;
- /log/: what the log is and how to check it, in plain words;
- /.well-known/jwks.json: the JWK Set of every key that has signed the API's receipts (current
  first), to verify them with (consent.transparency.receipts).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from consent.models.transparency import Checkpoint
from consent.transparency import checkpoints, keys, log, receipts
from consent.transparency.note import split_note

TILE_WIDTH = 256
# How long a checkpoint or a partial tile may be cached: both are replaced as the log grows.
SHORT_CACHE = "public, max-age=5"
IMMUTABLE = "public, max-age=31536000, immutable"
# The receipt keys: a rotation must reach verifiers within a minute.
KEY_SET_CACHE = "public, max-age=60"
# The most a cosignature submission may hold: a few signature lines.
MAX_COSIGNATURE_BYTES = 8192

_TILE_INDEX = re.compile(r"^(?:x[0-9]{3}/)*[0-9]{3}$")
_WIDTH = re.compile(r"^[1-9][0-9]{0,2}$")


def encode_tile_index(n: int) -> str:
    """N as tlog-tiles writes it in paths: 1234067 → x001/x234/067."""
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    return "/".join(["x" + g for g in reversed(groups[1:])] + [groups[0]])


def parse_tile_path(path: str) -> tuple[int, int]:
    """(N, width) from `<N>[.p/<W>]`; Http404 unless the path is exactly as tlog-tiles writes it."""
    index_text, partial, width_text = path.partition(".p/")
    if not _TILE_INDEX.match(index_text):
        raise Http404("Not a tile path.")
    index = int(index_text.replace("x", "").replace("/", ""))
    if encode_tile_index(index) != index_text:  # no x000/ prefixes: one path per tile
        raise Http404("Not a tile path.")
    width = TILE_WIDTH
    if partial:
        if not _WIDTH.match(width_text) or int(width_text) >= TILE_WIDTH:
            raise Http404("A partial tile is 1 to 255 wide.")
        width = int(width_text)
    return index, width


def _tile_response(data: bytes, width: int) -> HttpResponse:
    response = HttpResponse(data, content_type="application/octet-stream")
    response["Cache-Control"] = IMMUTABLE if width == TILE_WIDTH else SHORT_CACHE
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def hash_tile(request: HttpRequest, level: str, path: str) -> HttpResponse:
    if level != str(int(level)) or int(level) > 63:
        raise Http404("No such level.")
    index, width = parse_tile_path(path)
    try:
        data = log.hash_tile(int(level), index, width)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    return _tile_response(data, width)


@require_safe
def entry_bundle(request: HttpRequest, path: str) -> HttpResponse:
    index, width = parse_tile_path(path)
    try:
        data = log.entry_bundle(index, width)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    return _tile_response(data, width)


def _newest() -> Checkpoint | None:
    """The newest checkpoint. Without a broker no beat runs, so a grown tree is signed here too:
    the after-commit signing covers the writes that change answers, this covers the rest."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checkpoints.sign_checkpoint_task()
    return checkpoints.newest()


@require_safe
def checkpoint(request: HttpRequest) -> HttpResponse:
    newest = _newest()
    if newest is None:
        raise Http404("No checkpoint has been signed yet.")
    response = HttpResponse(
        checkpoints.served_note(newest), content_type="text/plain; charset=utf-8"
    )
    response["Cache-Control"] = SHORT_CACHE
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    """Every receipt key, current first: retired keys stay, so their receipts still verify."""
    response = HttpResponse(json.dumps(receipts.key_set()), content_type="application/jwk-set+json")
    response["Cache-Control"] = KEY_SET_CACHE
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _problem(status: int, title: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


@csrf_exempt  # witnesses are machines with keys, not browsers with sessions
@require_POST
def add_cosignatures(request: HttpRequest, size: int) -> HttpResponse:
    """Body (text/plain): one or more note signature lines, `— <witness> <base64>`, each ended.

    Every line must be a cosignature/v1 by a key in LOG_WITNESSES over exactly this checkpoint;
    otherwise nothing is stored: 403 for a key that is not a witness, 400 for anything else.
    """
    found = Checkpoint.objects.filter(size=size).first()
    if found is None:
        return _problem(404, "Not Found", f"No checkpoint of size {size} has been signed.")
    if len(request.body) > MAX_COSIGNATURE_BYTES:
        return _problem(400, "Bad Request", "Send signature lines only.")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _problem(400, "Bad Request", "The body is not UTF-8.")
    lines = [line for line in text.split("\n") if line]
    if not lines or not text.endswith("\n"):
        return _problem(400, "Bad Request", "Send signature lines, each ending in a newline.")
    for line in lines:
        try:
            checkpoints.check_cosignature(found, line)
        except checkpoints.UnknownWitness as exc:
            return _problem(403, "Forbidden", str(exc))
        except checkpoints.CosignatureRefused as exc:
            return _problem(400, "Bad Request", str(exc))
    created = [checkpoints.add_cosignature(found, line)[1] for line in lines]
    return HttpResponse(
        checkpoints.served_note(found),
        status=201 if any(created) else 200,
        content_type="text/plain; charset=utf-8",
    )


VERIFIER_SCRIPT = settings.BASE_DIR / "verifier" / "consent_verify.py"


@require_safe
def verifier_script(request: HttpRequest) -> HttpResponse:
    """The standalone verifier (verifier/consent_verify.py) as a download, so an artist or a
    platform without the source code can check receipts; its SHA-256 is on /log/."""
    try:
        data = VERIFIER_SCRIPT.read_bytes()
    except FileNotFoundError as exc:
        raise Http404("The verifier is not part of this installation.") from exc
    response = HttpResponse(data, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="consent_verify.py"'
    response["Cache-Control"] = KEY_SET_CACHE
    return response


@cache
def _verifier_digest() -> str:
    """The shipped file's SHA-256, read once per process: the file only changes with a deploy."""
    try:
        return hashlib.sha256(VERIFIER_SCRIPT.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def log_page(request: HttpRequest) -> HttpResponse:
    newest = _newest()
    verifier = keys.verifier()
    context = {
        "verifier_key": verifier.to_string() if verifier else "",
        "checkpoint": newest,
        "served_note": checkpoints.served_note(newest) if newest else "",
        "root_hash": base64.b64encode(bytes(newest.root_hash)).decode() if newest else "",
        "origin": split_note(newest.note)[0].split("\n", 1)[0] if newest else "",
        "witnesses": [w.name for w in keys.witnesses()],
        "signed_count": Checkpoint.objects.count(),
        "verifier_sha256": _verifier_digest(),
    }
    return render(request, "registry/public/log.html", context)
