"""Progress bars that stay out of the rendered book.

Interactively the bar shows in the notebook or terminal as usual. When the book
runner executes a notebook (``$CONNECTIVITY_NOTEBOOK`` is set), the bar goes to
the kernel's original stderr - the runner's terminal and the CI log - at most every
15 s, so the executed page does not fill with hundreds of bar updates.
"""

from __future__ import annotations

import os
import sys

from tqdm import tqdm


def progress(*args, **kwargs) -> tqdm:
    """``tqdm(*args, **kwargs)``, redirected when run by the book runner."""
    if os.environ.get("CONNECTIVITY_NOTEBOOK") and sys.__stderr__ is not None:
        kwargs.setdefault("file", sys.__stderr__)
        kwargs.setdefault("mininterval", 15.0)
    return tqdm(*args, **kwargs)
