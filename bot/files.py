"""Data files are private: users' OpenIDs, dialogs and delivery logs live in them."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create `path` (and parents) if missing; a directory created here is owner-only."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)


def private_file(path: Path) -> None:
    """Create an empty file readable by this user only, unless it exists. SQLite gives its
    -wal and -shm files the database file's mode, so those stay private too, whatever the
    process umask is."""
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
