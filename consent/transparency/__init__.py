"""The registry's public transparency log: an append-only Merkle tree of every fact that can
change an answer (RFC 6962/9162 hashing, C2SP tlog-tiles layout). See docs/log.md.

- `jcs`: RFC 8785 canonical JSON, the bytes of every entry;
- `merkle`: the pure tree arithmetic (hashes, stored-hash layout, proofs);
- `log`: the Django-backed log (append, read, tiles);
- `records`: the versioned records each write path appends.
"""
