"""A plain-text progress line on stderr: done, rate and, when the total or the share done is
known, the ETA."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """`update(done)` redraws at most ten times a second; `close()` ends the line.

    `unit` "bytes" shows sizes; anything else counts items ("lines", "rows"). Without a total,
    `update(done, share=…)` gives the share of the work done (for a manifest read as a stream,
    the share of its bytes read), from which the bar and the ETA are drawn.
    """

    def __init__(
        self,
        label: str,
        total: float | None = None,
        unit: str = "rows",
        stream: TextIO | None = None,
        enabled: bool = True,
    ):
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = self.last = time.monotonic()
        self.done = 0.0
        self.share: float | None = None
        self.extra = ""

    def _amount(self, n: float) -> str:
        return _size(n) if self.unit == "bytes" else f"{n:,.0f} {self.unit}"

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        text = f"{self.label}: {self._amount(self.done)}"
        share = min(self.done / self.total, 1.0) if self.total else self.share
        if share is not None:
            filled = int(share * 24)
            text = f"{self.label}: [{'#' * filled}{'.' * (24 - filled)}] {share:6.1%} "
            text += f"{self._amount(self.done)}"
            if self.total:
                text += f" of {self._amount(self.total)}"
        text += f", {self._amount(rate)}/s"
        if self.total and rate > 0:
            text += f", ETA {_duration(max(self.total - self.done, 0) / rate)}"
        elif share and share < 1:
            text += f", ETA {_duration(elapsed * (1 - share) / share)}"
        else:
            text += f", {_duration(elapsed)} elapsed"
        return text + (f" {self.extra}" if self.extra else "")

    def update(self, done: float, extra: str = "", share: float | None = None) -> None:
        self.done, self.extra = done, extra
        if share is not None:
            self.share = share
        now = time.monotonic()
        if self.enabled and now - self.last >= 0.1:
            self.last = now
            self.stream.write("\r" + self.line().ljust(79))
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line().ljust(79) + "\n")
            self.stream.flush()
