"""Progress bars that show while a loop runs and leave nothing behind when it ends.

``progress_bar`` wraps tqdm. In a Jupyter notebook it shows tqdm's widget bar through a display
handle and clears that display when the bar closes, so an executed or rendered notebook (the
course site, the slide decks, ``jupyter nbconvert --execute``) stores no stale bar: no
"0%| | 0/296" and no "HBox(children=...)". The widget is shown without a text copy of itself,
which is what a rendered page would print once the widget is gone. In a terminal the bar goes to
stderr and erases its line when it closes. In a kernel without ipywidgets no bar is shown.

``fit`` (``course_utils.training``) and the image decoding (``course_utils.images``) use it.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["progress_bar"]


def _in_notebook_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


@functools.cache
def _notebook_bar_class() -> type | None:
    """tqdm's widget bar with a display that is cleared on close (None without ipywidgets)."""
    try:
        from IPython.display import display
        from tqdm.notebook import IProgress
        from tqdm.notebook import tqdm as notebook_tqdm
    except ImportError:
        return None
    if IProgress is None:  # tqdm found no ipywidgets
        return None

    class ClearedNotebookBar(notebook_tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, display=False, leave=False, **kwargs)
            self._handle = None
            if self.disable:
                return
            bundle = getattr(self.container, "_repr_mimebundle_", lambda: None)()
            if isinstance(bundle, dict):  # the widget view alone, no "HBox(...)"/"0%|" text copy
                view = {
                    k: v
                    for k, v in bundle.items()
                    if k == "application/vnd.jupyter.widget-view+json"
                }
                self._handle = display(view, raw=True, display_id=True)
            else:  # an older ipywidgets without mime bundles
                self._handle = display(self.container, display_id=True)

        def close(self) -> None:
            already_closed = self.disable
            super().close()
            if not already_closed and self._handle is not None:
                self._handle.update({}, raw=True)  # the stored output becomes empty
                self._handle = None

    return ClearedNotebookBar


def progress_bar(
    iterable: Iterable, *, desc: str = "", total: int | None = None, enabled: bool = True
):
    """A tqdm bar over ``iterable`` that is gone once it closes (see the module docstring).

    Iterate over it, call ``set_postfix(...)`` to show numbers beside it, and ``close()`` it
    (iterating to the end closes it too). ``enabled=False``, or the environment variable
    ``TQDM_DISABLE=1``, shows nothing.

    Example:
        >>> bar = progress_bar(range(3), desc="demo", enabled=False)
        >>> [x for x in bar]
        [0, 1, 2]
        >>> bar.close()
    """
    from tqdm import tqdm

    if not isinstance(desc, str):
        raise TypeError(f"desc must be a string, got {type(desc).__name__}")
    disabled = not enabled or os.environ.get("TQDM_DISABLE", "").lower() in {"1", "true", "yes"}
    if disabled:
        return tqdm(iterable, desc=desc, total=total, disable=True)
    if _in_notebook_kernel():
        bar_class = _notebook_bar_class()
        if bar_class is None:
            return tqdm(iterable, desc=desc, total=total, disable=True)
        return bar_class(iterable, desc=desc, total=total)
    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr)
