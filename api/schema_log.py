"""The OpenAPI description of the log's JSON (api/views_log.py)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from api.schema import problems

TAG = "Transparency log"
B64 = "Standard base64 (RFC 4648 §4)."


class InclusionProof(serializers.Serializer):
    index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 || entry), " + B64)
    root_hash = serializers.CharField(help_text="The root hash of the tree of tree_size. " + B64)
    hashes = serializers.ListField(
        child=serializers.CharField(),
        help_text="The inclusion path, leaf to root (RFC 9162 §2.1.3). " + B64,
    )


class ConsistencyProof(serializers.Serializer):
    old = serializers.IntegerField()
    new = serializers.IntegerField()
    old_root_hash = serializers.CharField(help_text=B64)
    new_root_hash = serializers.CharField(help_text=B64)
    hashes = serializers.ListField(
        child=serializers.CharField(),
        help_text="The consistency proof (RFC 9162 §2.1.4); empty when old equals new. " + B64,
    )


class LogEntry(serializers.Serializer):
    index = serializers.IntegerField()
    data = serializers.CharField(help_text="The entry's canonical JSON (RFC 8785) bytes. " + B64)
    leaf_hash = serializers.CharField(help_text="SHA-256(0x00 || data). " + B64)


class LogEntries(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    tree_size = serializers.IntegerField(help_text="How many entries the log holds now.")
    entries = LogEntry(many=True)


PUBLIC = "Public: no API key. The same data as the C2SP tiles under /log/tile/."

inclusion = extend_schema(
    operation_id="log_inclusion_proof",
    tags=[TAG],
    auth=[],
    summary="Prove an entry is in a tree of the log",
    description=PUBLIC,
    parameters=[
        OpenApiParameter("index", int, required=True, description="The entry's index."),
        OpenApiParameter(
            "tree_size", int, required=True, description="A checkpoint's size, above index."
        ),
    ],
    responses={200: InclusionProof} | problems(400),
)

consistency = extend_schema(
    operation_id="log_consistency_proof",
    tags=[TAG],
    auth=[],
    summary="Prove a later tree of the log extends an earlier one",
    description=PUBLIC,
    parameters=[
        OpenApiParameter("old", int, required=True, description="The earlier checkpoint's size."),
        OpenApiParameter("new", int, required=True, description="The later checkpoint's size."),
    ],
    responses={200: ConsistencyProof} | problems(400),
)

entries = extend_schema(
    operation_id="log_entries",
    tags=[TAG],
    auth=[],
    summary="Entries of the log, at most 1,000 at a time",
    description=PUBLIC,
    parameters=[
        OpenApiParameter("start", int, required=True, description="The first index."),
        OpenApiParameter("end", int, required=True, description="One past the last index."),
    ],
    responses={200: LogEntries} | problems(400),
)
