"""Reading a plugin configuration file named by a user: every failure is a one-line
`UserError`, never a traceback."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem to report in one line, before anything is written or started."""


def read_config(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"configuration file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"configuration file is a directory: {path}") from None
    except UnicodeDecodeError as err:
        raise UserError(f"configuration file {path} is not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise UserError(f"cannot read configuration file {path}: {err.strerror}") from None
