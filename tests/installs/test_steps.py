"""The undoable step runner."""

from __future__ import annotations

import pytest

from apps.installs.steps import Step, run_steps


def test_a_failure_undoes_begun_steps_in_reverse_then_raises():
    log = []

    def fail():
        log.append("do c")
        raise RuntimeError("c broke")

    steps = [
        Step("a", lambda: log.append("do a"), lambda: log.append("undo a")),
        Step("b", lambda: log.append("do b")),  # nothing to undo
        Step("c", fail, lambda: log.append("undo c")),  # half-done work is undone too
        Step("d", lambda: log.append("do d"), lambda: log.append("undo d")),
    ]
    with pytest.raises(RuntimeError, match="c broke"):
        run_steps(steps)
    assert log == ["do a", "do b", "do c", "undo c", "undo a"]


def test_a_failing_undo_does_not_hide_the_original_error_or_stop_the_others():
    log = []

    def bad_undo():
        raise OSError("undo broke")

    steps = [Step("a", lambda: None, lambda: log.append("undo a")),
             Step("b", lambda: None, bad_undo),
             Step("c", lambda: 1 / 0)]
    with pytest.raises(ZeroDivisionError):
        run_steps(steps)
    assert log == ["undo a"]


def test_progress_is_reported_per_step_by_weight():
    seen = []
    run_steps([Step("a", lambda: None, message="A", weight=1),
               Step("b", lambda: None, message="B", weight=3)],
              report=lambda lo, hi, msg: seen.append((lo, hi, msg)), end=100)
    assert seen == [(0, 25, "A"), (25, 100, "B")]
