"""Errors the CLI prints as one line with exit code 2."""


class UsageError(Exception):
    """A mistake on the command line or in the environment; printed as one line, exit 2."""
