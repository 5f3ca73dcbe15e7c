"""The only module that writes to disk.

A build is written into a fresh folder beside the output and swapped in only
when every file is written, so a failed or killed build never leaves a half
site behind. Two outputs for one path are an error, never a silent overwrite.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable

from .errors import ContentError
from .manifest import Manifest, dump_manifest, manifest_path

_TEMP_PREFIX = ".paperwire-"


class OutputCollision(ContentError):
    """Two outputs would land on the same path."""


def safe_relative_path(path: str) -> str:
    """Return ``path`` (POSIX separators) if it names a file inside the output, or raise."""
    if (not path or path.startswith("/") or path.endswith("/") or "\\" in path
            or any(part in ("..", ".", "") for part in path.split("/"))):
        raise ContentError(path, None, "output path would leave the output folder")
    return path


# Linux's shared memory, a tmpfs: scratch files made there never reach a disk,
# where this machine's ext4 takes 0.1-0.7 ms to make a folder and a file in it.
_MEMORY_FOLDER = Path("/dev/shm")
# Scratch goes to memory when it needs at most this share of its size. The size,
# not the room free now: the same site on the same machine always gets the same
# place, and so the same search index (Pagefind follows the folder listing order).
_MEMORY_SHARE = 0.25


def _fits_in_memory(expected_bytes: int) -> bool:
    try:
        stats = os.statvfs(_MEMORY_FOLDER)
    except OSError:  # no /dev/shm (not Linux, or a bare container)
        return False
    return os.access(_MEMORY_FOLDER, os.W_OK) and expected_bytes <= _MEMORY_SHARE * stats.f_blocks * stats.f_frsize


def _scratch_prefix(out_dir: Path) -> str:
    """Return the name prefix of ``out_dir``'s scratch folders: unique to it, even in /dev/shm."""
    digest = hashlib.sha1(str(out_dir).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{_TEMP_PREFIX}{out_dir.name}.{digest}."


def _leftovers_beside(out_dir: Path) -> list[Path]:
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    prefix = f"{_TEMP_PREFIX}{out_dir.name}."
    return sorted(p for p in parent.iterdir() if p.name.startswith(prefix))


def _own_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (not a link) of this user: /dev/shm is everyone's."""
    try:
        stats = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(stats.st_mode) and stats.st_uid == os.getuid()


def _leftovers_in_memory(out_dir: Path) -> list[Path]:
    if not (_MEMORY_FOLDER.is_dir() and os.access(_MEMORY_FOLDER, os.R_OK | os.X_OK)):
        return []
    prefix = _scratch_prefix(out_dir)
    return sorted(p for p in _MEMORY_FOLDER.iterdir() if p.name.startswith(prefix) and _own_folder(p))


def clean_leftovers(out_dir: Path) -> None:
    """Remove the temporary folders a killed build left, beside ``out_dir`` or in /dev/shm."""
    if not out_dir.exists():
        # Killed between the two renames of _swap_in: put the old site back
        # (only from beside the output, never from the shared /dev/shm).
        for path in _leftovers_beside(out_dir):
            if ".old-" in path.name and (path / "site").is_dir():
                os.rename(path / "site", out_dir)
                break
    for path in (*_leftovers_beside(out_dir), *_leftovers_in_memory(out_dir)):
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


def _make_folder(folder: str) -> None:
    """Make ``folder``; most often its parent exists, which one mkdir call settles."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def _target(base: str, path: str, made: set[str]) -> str:
    """Return where output ``path`` goes below ``base``, its folder made unless in ``made``."""
    target = base + safe_relative_path(path)
    folder = target.rpartition("/")[0]
    if folder not in made:
        _make_folder(folder)
        made.add(folder)
    return target


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_outputs(root: Path, outputs: Iterable[tuple[str, bytes | Iterable[bytes]]]) -> list[str]:
    """Write ``outputs`` below ``root`` (a staging folder); return their paths.

    Files are created exclusively (O_EXCL): a path written twice, even by two
    worker processes, fails loudly instead of overwriting. Plain strings and
    os calls, not pathlib: at tens of thousands of files its objects cost more
    than the writing.
    """
    written = []
    made: set[str] = set()
    base = str(root) + "/"
    for path, data in outputs:
        target = _target(base, path, made)
        try:
            handle = os.open(target, _NEW_FILE, 0o644)
        except FileExistsError:
            raise OutputCollision(path, None, "two outputs would be written to this path") from None
        try:
            # Big outputs (the JSON of every paper) come as chunks, never whole in memory.
            for chunk in (data,) if isinstance(data, bytes) else data:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(handle, view):]
        finally:
            os.close(handle)
        written.append(path)
    return written


def link_outputs(root: Path, old_root: Path, paths: Iterable[str]) -> list[str]:
    """Hard-link unchanged files of the previous output into ``root``.

    The previous output is never written to, only replaced as a whole, so
    sharing its files with the new one is safe and costs no copying.
    """
    linked = []
    made: set[str] = set()
    base, old_base = str(root) + "/", str(old_root) + "/"
    for path in paths:
        os.link(old_base + path, _target(base, path, made))
        linked.append(path)
    return linked


class Staging:
    """A fresh folder beside the output that becomes the output on commit."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        clean_leftovers(self.out_dir)
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(dir=self.out_dir.parent, prefix=f"{_TEMP_PREFIX}{self.out_dir.name}.new-"))
        self.paths: set[str] = set()
        self.scratch: list[Path] = []

    def register(self, paths: Iterable[str]) -> None:
        """Record paths written (here or by workers); a repeated path is an error."""
        for path in paths:
            if path in self.paths:
                raise OutputCollision(path, None, "two outputs would be written to this path")
            self.paths.add(path)

    def write(self, outputs: Iterable[tuple[str, bytes]]) -> None:
        """Write outputs into the staging folder."""
        self.register(write_outputs(self.root, outputs))

    def scratch_folder(self, role: str, expected_bytes: int) -> Path:
        """Return a new folder for files the build needs but does not publish.

        It is in memory (/dev/shm) when ``expected_bytes`` are at most a
        quarter of its size, else beside the output. Scratch folders go when
        the build commits or aborts, or, after a kill, with the next build's
        leftovers.
        """
        parent = _MEMORY_FOLDER if _fits_in_memory(expected_bytes) else self.out_dir.parent
        folder = Path(tempfile.mkdtemp(dir=parent, prefix=f"{_scratch_prefix(self.out_dir)}{role}-"))
        self.scratch.append(folder)
        return folder

    def commit(self) -> int:
        """Swap the staging folder in as the output; return the number of files.

        The manifest describes the output being replaced, so it goes first:
        a build killed after the swap but before its own manifest is written
        leaves none, and the next build is a full one, instead of trusting a
        manifest of other files (and linking pages it describes wrongly).
        """
        manifest_path(self.out_dir).unlink(missing_ok=True)
        _swap_in(self.root, self.out_dir)
        for folder in self.scratch:
            _remove_in_background(folder)
        return len(self.paths)

    def abort(self) -> None:
        for folder in (self.root, *self.scratch):
            shutil.rmtree(folder, ignore_errors=True)


def save_manifest(out_dir: Path, manifest: "Manifest") -> None:
    """Write the manifest of the build now in ``out_dir``, atomically."""
    write_text_file(manifest_path(out_dir), dump_manifest(manifest))


def publish(outputs: Iterable[tuple[str, bytes]], out_dir: Path) -> int:
    """Write ``outputs`` as the new ``out_dir``; return the number of files."""
    staging = Staging(out_dir)
    try:
        staging.write(outputs)
        return staging.commit()
    except BaseException:
        staging.abort()
        raise


def _remove_in_background(folder: Path) -> None:
    """Delete a retired output without making the build wait for it.

    Unlinking tens of thousands of files takes seconds on a slow disk; a
    detached ``rm`` does it while the user goes on. Whatever it leaves (if the
    machine stops first) the next build's clean_leftovers removes.
    """
    if shutil.which("rm") and os.name == "posix":
        subprocess.Popen(["rm", "-rf", "--", str(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with ``staging`` by two renames."""
    if out_dir.exists():
        retired = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f"{_TEMP_PREFIX}{out_dir.name}.old-"))
        os.rename(out_dir, retired / "site")
        os.rename(staging, out_dir)
        _remove_in_background(retired)
    else:
        os.rename(staging, out_dir)
