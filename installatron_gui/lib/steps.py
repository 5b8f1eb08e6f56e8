"""A tiny runner for remote work as an ordered list of undoable steps.

Install, uninstall, update, clone and restore (and a recipe's update steps) are lists of
``Step``. If a step raises, the steps already done are undone in reverse order, then the
error propagates.
The failing step is undone too: its ``undo`` must cope with a ``do`` that stopped halfway
(remove what is there, ignore what is not), because half-unpacked files are exactly what
a failure leaves behind.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Report = Callable[[int, int, str], None]


@dataclass
class Step:
    name: str
    do: Callable[[], None]
    undo: Callable[[], None] | None = None
    # What the progress bar says while the step runs.
    message: str = ""
    # Share of the whole operation, for the progress bar.
    weight: int = 1


def run_steps(steps: list[Step], *, report: Report | None = None, start: int = 0,
              end: int = 100) -> None:
    """Run ``steps`` in order; on failure undo (in reverse) every step begun, then raise."""
    total = sum(step.weight for step in steps) or 1
    begun: list[Step] = []
    done_weight = 0
    try:
        for step in steps:
            if report is not None:
                low = start + (end - start) * done_weight // total
                high = start + (end - start) * (done_weight + step.weight) // total
                report(low, high, step.message or step.name)
            begun.append(step)
            step.do()
            done_weight += step.weight
    except BaseException:
        if report is not None:
            report(start + (end - start) * done_weight // total, end, "Rolling back")
        for step in reversed(begun):
            if step.undo is None:
                continue
            try:
                step.undo()
            except Exception:
                # The original error is what the user needs; a failed undo is for the log.
                log.exception("undo of step %r failed", step.name)
        raise


def opcache_settle() -> None:
    """Wait until PHP's opcache lets go of files that were just swapped (in or back).

    revalidate_freq is 2 s by default, counted in whole seconds of the request time, so a
    compiled file can be served unchanged for up to 3 s after it was last compiled.
    Checking a site sooner tests the old code still in memory; ending a rollback sooner
    leaves the broken code served for a moment. ``OPCACHE_GRACE`` seconds (3.2).
    """
    from django.conf import settings

    time.sleep(float(getattr(settings, "OPCACHE_GRACE", 3.2)))
