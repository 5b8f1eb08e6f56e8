"""The undoable-steps runner lives in ``installatron_gui.lib.steps`` (recipes build steps
too, and they import no engine module); re-exported here for the engine's modules."""

from installatron_gui.lib.steps import Report, Step, opcache_settle, run_steps

__all__ = ["Report", "Step", "opcache_settle", "run_steps"]
