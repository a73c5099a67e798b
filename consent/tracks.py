"""What a person writes about a track when registering it: its duration and what they own.

The website's form, the CSV import and `consent.services.register_tracks` behind them all read
these rules from here, so a duration or a role one of them accepts is accepted by every other.
"""

from consent.models import Claim

# A typing guard, not a judgement on music: releases of a day and more exist.
MAX_DURATION_HOURS = 100
MAX_DURATION_SECONDS = MAX_DURATION_HOURS * 3600
DURATION_FORMATS = (
    "write seconds (225), minutes and seconds (3:45) or hours, minutes and seconds (1:02:03)"
)


class DurationError(ValueError):
    """A duration that cannot be read or is out of bounds; the message says why in a sentence."""


def parse_duration(text: str) -> int:
    """Seconds from `225`, `3:45` or `1:02:03`; raises DurationError with a sentence.

    The first number is not bounded (`75:00` is 75 minutes); a number after a colon goes up to
    59. Surrounding spaces are ignored.
    """
    text = text.strip()
    parts = text.split(":")
    if len(parts) > 3 or not all(part.isascii() and part.isdigit() for part in parts):
        raise DurationError(f"“{text}” is not a duration: {DURATION_FORMATS}.")
    numbers = [int(part) for part in parts]
    named = list(zip(("hours", "minutes", "seconds")[-len(numbers) :], numbers, strict=True))
    for name, number in named[1:]:
        if number >= 60:
            after = "the colon" if name == "seconds" else "the hours"
            raise DurationError(
                f"“{text}” has {number} {name} after {after}: minutes and seconds go up to 59."
            )
    seconds = 0
    for number in numbers:
        seconds = seconds * 60 + number
    check_duration(seconds, text)
    return seconds


def check_duration(seconds: int, written: str = "") -> None:
    """Refuse a duration of zero seconds or longer than the limit (DurationError)."""
    if seconds <= 0:
        raise DurationError("A track cannot last zero seconds: leave the duration empty instead.")
    if seconds > MAX_DURATION_SECONDS:
        shown = f"“{written}”" if written else f"{seconds:,} seconds"
        raise DurationError(
            f"{shown} is longer than {MAX_DURATION_HOURS} hours: please check the duration."
        )


# What a person can say they own, as the form offers it and the CSV's `role` column reads it,
# and the claims each choice makes.
ROLE_CHOICES: dict[str, tuple[str, ...]] = {
    "recording": (Claim.Role.RECORDING,),
    "composition": (Claim.Role.COMPOSITION,),
    "both": (Claim.Role.RECORDING, Claim.Role.COMPOSITION),
}
ROLE_LABELS: dict[str, str] = {
    "recording": "The recording: I own or control the master",
    "composition": "The composition: I wrote or publish the song",
    "both": "Both the recording and the composition",
}
DEFAULT_ROLE_CHOICE = "recording"
