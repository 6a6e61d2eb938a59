"""Failures a reader can cause and mend — missing data, a damaged checkpoint, a refused
parameter or device, pages of two profiles — said in one line by every command.

Each such error class also derives from :class:`ReaderError`; :func:`run_command` runs
a command's ``main`` and turns those into one ``error: ...`` line on stderr and exit
status 2, with no traceback. Any other exception is a bug and keeps its traceback.

>>> class Missing(ReaderError, FileNotFoundError): ...
>>> def main(argv=None): raise Missing("no data in /tmp/x")
>>> run_command(main, [])  # doctest: +SKIP
error: no data in /tmp/x
2
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


class ReaderError(Exception):
    """An expected failure with a message that says what to do (mixed into the classes
    of such errors)."""


def run_command(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """``main(argv)``'s exit status, or 2 with one line on stderr for a :class:`ReaderError`;
    output piped into a reader that stopped early (``| head``) ends quietly."""
    try:
        return main(argv)
    except BrokenPipeError:
        # the reader has what it wanted; no traceback, and none when Python flushes stdout
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ReaderError as e:
        lines = str(e).strip().splitlines() or [type(e).__name__]
        print(f"error: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"  {line}", file=sys.stderr)
        return 2
