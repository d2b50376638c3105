"""Errors the domain raises when a person asks for something the rules do not allow."""


class Refusal(ValueError):
    """A request refused before anything is recorded; the message is for the person who asked."""
