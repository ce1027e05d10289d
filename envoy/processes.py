"""Starting and stopping child processes so none outlives its parent (stdlib only).

Shared by `envoy/run.py` (`make run`) and the end-to-end harness (`tests/e2e/harness.py`).
"""

from __future__ import annotations

import os
import signal
import subprocess

try:  # resolved here, not in the forked child (no imports between fork and exec)
    import ctypes

    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (ImportError, OSError, AttributeError):  # not Linux: best effort only
    _PRCTL = None


def die_with_parent() -> None:
    """preexec_fn: on Linux, SIGTERM the child when its parent dies (even by SIGKILL),
    so no Envoy outlives the process that started it."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def kill_group(proc: subprocess.Popen | None) -> None:
    """SIGTERM the child's process group, then SIGKILL if it is still there after 5 s."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
