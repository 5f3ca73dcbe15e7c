"""The only module that writes to disk.

A build is written into a fresh folder beside the output and swapped in only
when every file is written, so a failed or killed build never leaves a half
site behind. Two outputs for one path are an error, never a silent overwrite.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Iterable

from .errors import ContentError

_TEMP_PREFIX = ".paperwire-"


class OutputCollision(ContentError):
    """Two outputs would land on the same path."""


def safe_relative_path(path: str) -> PurePosixPath:
    """Return ``path`` as a relative path inside the output, or raise."""
    pure = PurePosixPath(path)
    if (not path or pure.is_absolute() or "\\" in path or any(p in ("..", ".", "") for p in pure.parts)
            or path.endswith("/")):
        raise ContentError(path, None, "output path would leave the output folder")
    return pure


def _leftovers(out_dir: Path) -> list[Path]:
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    prefix = f"{_TEMP_PREFIX}{out_dir.name}."
    return sorted(p for p in parent.iterdir() if p.name.startswith(prefix))


def clean_leftovers(out_dir: Path) -> None:
    """Remove temporary folders a killed build left beside ``out_dir``."""
    if not out_dir.exists():
        # Killed between the two renames of _swap_in: put the old site back.
        for path in _leftovers(out_dir):
            if ".old-" in path.name and (path / "site").is_dir():
                os.rename(path / "site", out_dir)
                break
    for path in _leftovers(out_dir):
        shutil.rmtree(path, ignore_errors=True)


def write_text_file(path: Path, data: bytes) -> None:
    """Write one file atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish(outputs: Iterable[tuple[str, bytes]], out_dir: Path) -> int:
    """Write ``outputs`` as the new ``out_dir``; return the number of files."""
    out_dir = out_dir.resolve()
    clean_leftovers(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f"{_TEMP_PREFIX}{out_dir.name}.new-"))
    written: set[PurePosixPath] = set()
    try:
        for path, data in outputs:
            relative = safe_relative_path(path)
            if relative in written:
                raise OutputCollision(path, None, "two outputs would be written to this path")
            written.add(relative)
            target = staging.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as handle:  # "x": a file/folder clash fails loudly
                handle.write(data)
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(written)


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with ``staging`` by two renames."""
    if out_dir.exists():
        retired = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f"{_TEMP_PREFIX}{out_dir.name}.old-"))
        os.rename(out_dir, retired / "site")
        os.rename(staging, out_dir)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, out_dir)
