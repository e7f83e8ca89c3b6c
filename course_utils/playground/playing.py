"""Play and Pause: train and redraw epoch after epoch in the background, on the kernel's event loop.

``Playing`` is a part of :class:`course_utils.playground.Playground`: it needs the widget's
``step()``, its ``error`` (None while it can train) and its ``play_button``.
"""

from __future__ import annotations

import asyncio

__all__ = ["Playing"]


class Playing:
    """Play and Pause: at most ``max_play_epochs`` epochs, ``frame_delay`` seconds between frames.

    Example:
        >>> from course_utils.playground import Playground
        >>> pg = Playground(resolution=10, max_play_epochs=3)
        >>> pg.playing, pg.play_button.description
        (False, '▶ Play')
    """

    def __init__(self, max_play_epochs: int, frame_delay: float) -> None:
        self.max_play_epochs, self.frame_delay = max_play_epochs, frame_delay
        self._task: asyncio.Task | None = None
        self.playing = False

    def play(self) -> asyncio.Task:
        """Train and redraw epoch after epoch in the background until Pause (or ``max_play_epochs``).

        Runs as an asyncio task on the kernel's event loop, so the kernel stays free for clicks.
        """
        if self._task is not None and not self._task.done():
            return self._task
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "play() needs a running event loop (Jupyter has one); "
                "in a script call step(epochs) instead"
            ) from None
        self.playing = True
        self.play_button.description = "⏸ Pause"
        self._task = loop.create_task(self._play_loop())
        return self._task

    async def _play_loop(self) -> None:
        try:
            for _ in range(self.max_play_epochs):
                if not self.playing or self.error is not None:
                    break
                self.step()
                await asyncio.sleep(self.frame_delay)  # let Jupyter handle clicks between frames
        finally:
            self.pause()

    def pause(self) -> None:
        """Stop playing after the current epoch."""
        self.playing = False
        self.play_button.description = "▶ Play"
