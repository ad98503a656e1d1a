"""The command line's subcommands, beside ``bot.__main__`` (serve, worker)."""


class Failure(Exception):
    """Stops the command with this message and exit code 1."""


NAME_MAX = 100
"""The longest client name ``clients set`` takes (it is shown whole in every post)."""
PHONE_MAX = 40
