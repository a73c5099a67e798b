"""The refusal every face shows as it is: a sentence for the person who asked."""


class ConsentError(Exception):
    """A request the domain refuses; the message is a sentence for the person who asked."""
