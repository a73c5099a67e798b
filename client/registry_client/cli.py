"""`registry-client`: sync a mirror, check a dataset manifest, receive webhooks.

The registry's address and key come from `--url`/`--key` or REGISTRY_URL and REGISTRY_API_KEY.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from registry_client.api import ApiError, Registry

PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")


def _registry(args: argparse.Namespace) -> Registry:
    return Registry.from_env(args.url, args.key)


def cmd_sync(args: argparse.Namespace) -> int:
    from registry_client.mirror import Mirror, sync

    with Mirror(args.directory) as mirror:
        report = sync(
            _registry(args),
            mirror,
            ack=args.ack,
            progress=not args.quiet,
            full=args.full,
            page_size=args.page_size,
        )
        report["tracks"] = mirror.track_count()
    print(json.dumps(report))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from registry_client.check import ManifestError, check_manifest

    columns = [c.strip() for c in args.column.split(",") if c.strip()] if args.column else None
    registry = None
    if not args.mirror or args.url or args.key:
        try:
            registry = _registry(args)
        except ValueError:
            if not args.mirror:
                raise
    try:
        audit = check_manifest(
            args.file,
            args.output,
            columns=columns,
            file_format=args.format,
            mirror=args.mirror,
            registry=registry,
            drop_reserved=args.drop_reserved,
            strict=args.strict,
            progress=not args.quiet,
            workers=args.workers,
        )
    except ManifestError as exc:
        print(f"registry-client check: {exc}", file=sys.stderr)
        return 1
    summary = {k: audit[k] for k in ("rows", "written", "sequence", "as_of", "mode")}
    summary["malformed"] = len(audit["malformed"])
    print(json.dumps(summary))
    return 0


def cmd_listen(args: argparse.Namespace) -> int:
    from registry_client.listen import serve

    registry = None
    try:
        registry = _registry(args)
    except ValueError:
        print(
            "registry-client listen: without --url and --key a gap in the events cannot be "
            "caught up from the changes feed; run `sync` before listening.",
            file=sys.stderr,
        )
    serve(
        args.directory,
        args.secret,
        port=args.port,
        host=args.host,
        registry=registry,
        ack=args.ack,
    )
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="registry-client", description=__doc__)
    main.add_argument("--url", help="the registry's address (default: $REGISTRY_URL)")
    main.add_argument("--key", help="your API key, crk_… (default: $REGISTRY_API_KEY)")
    commands = main.add_subparsers(dest="command", required=True)

    sync = commands.add_parser("sync", help="keep a local mirror of the whole registry")
    sync.add_argument("directory", help="where the mirror lives (created when missing)")
    sync.add_argument("--ack", action="store_true", help="acknowledge what was applied")
    sync.add_argument("--full", action="store_true", help="reload from a fresh snapshot")
    sync.add_argument("--page-size", type=int, default=10_000)
    sync.add_argument("--quiet", action="store_true", help="no progress bar")
    sync.set_defaults(run=cmd_sync)

    check = commands.add_parser("check", help="judge a dataset manifest per purpose")
    check.add_argument("file", help="the manifest: .csv, .jsonl/.ndjson or .parquet")
    check.add_argument("-o", "--output", required=True, help="the judged manifest to write")
    check.add_argument("--column", help="the identifier columns, e.g. url,isrc (or name=kind)")
    check.add_argument("--format", choices=("csv", "jsonl", "parquet"))
    check.add_argument("--mirror", help="answer offline from the mirror in this directory")
    check.add_argument(
        "--drop-reserved",
        choices=PURPOSES,
        metavar="PURPOSE",
        help="write only rows a model may use for PURPOSE (allow or unset)",
    )
    check.add_argument("--strict", action="store_true", help="fail on any malformed row")
    check.add_argument(
        "--workers",
        type=int,
        default=3,
        help="live: concurrent batches; with --mirror: processes judging chunks of rows "
        "(at most one per core)",
    )
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.set_defaults(run=cmd_check)

    listen = commands.add_parser("listen", help="receive signed webhooks into a mirror")
    listen.add_argument("directory", help="the mirror to apply events to")
    listen.add_argument("--port", type=int, default=8080)
    listen.add_argument("--host", default="127.0.0.1")
    listen.add_argument(
        "--secret", required=True, help="the endpoint's secret, whsec_… (two, comma-separated)"
    )
    listen.add_argument("--ack", action="store_true", help="acknowledge what was applied")
    listen.set_defaults(run=cmd_listen)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ApiError, ValueError) as exc:
        print(f"registry-client {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
