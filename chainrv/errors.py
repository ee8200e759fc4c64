"""Errors that end a command with a one-line message and a defined status."""

from __future__ import annotations


class CliError(Exception):
    """Printed as ``chainrv: <message>`` on stderr; the process exits ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status
