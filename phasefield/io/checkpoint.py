"""Restart files that reproduce a ``State`` bit for bit.

A checkpoint is one uncompressed ``.npz`` archive named ``ckpt_<step:09d>.npz`` (more digits
once ``step`` exceeds 10^9 - 1; files are ordered by the integer step, not the name). It holds
one ``.npy`` member per array leaf of ``State`` (``X``, ``eta`` unless it is ``None``, ``t``,
``dt``, ``step``), stored with their own dtype and shape, plus a member ``__metadata__``:
UTF-8 JSON bytes (as a ``uint8`` array, so no pickle is needed) with

    format   "phasefield-checkpoint", version: int (``FORMAT_VERSION``)
    fields   {name: {"dtype": numpy dtype string, "shape": [...]} or null for a None leaf}
    step, t  the step counter and simulated time, for people reading the file
    extra    the caller's JSON-serialisable restart data (see ``save_checkpoint``)
    sha256   hex SHA-256 of the canonical JSON of everything above, followed for each array
             (sorted by name) by its name, dtype, shape and raw C-order bytes

Writes are atomic on POSIX file systems: the archive goes to a hidden temporary file in the
same directory, is flushed and ``os.fsync``-ed, renamed over the final name with
``os.replace`` and the directory is fsync-ed, so a reader sees either the previous set of
checkpoints or the new complete file, never a partial one (a killed writer leaves at most a
``.ckpt_*.tmp`` file, which loaders ignore and the next save removes).

A directory is meant to hold the checkpoints of one run, written by one process at a time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import socket
import warnings
from pathlib import Path
from typing import Any, Optional, Union

import jax
import jax.numpy as jnp
import numpy as np

from phasefield.state import State

FORMAT_NAME = "phasefield-checkpoint"
FORMAT_VERSION = 1

_META = "__metadata__"
_NAME = re.compile(r"^ckpt_(\d+)\.npz$")
_TMP = re.compile(r"^\.ckpt_\d+\.npz\.(?P<host>[A-Za-z0-9-]*)\.(?P<pid>\d+)\.tmp$")
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())

PathLike = Union[str, os.PathLike]


class CheckpointError(RuntimeError):
    """No usable checkpoint: raised by ``load_latest_checkpoint(..., required=True)`` when none
    verifies, and for problems no other file can fix (a file written by a newer format version,
    float64 data while JAX runs without ``jax_enable_x64``)."""


class InvalidCheckpointError(CheckpointError):
    """This one file cannot be used (truncated, damaged, not a checkpoint, or its shapes and
    dtypes differ from the expected state); ``load_latest_checkpoint`` skips it."""


class CheckpointWarning(UserWarning):
    """A checkpoint file was skipped, or the directory holds checkpoints of a later step."""


def checkpoint_path(directory: PathLike, step: int) -> Path:
    """The file name ``save_checkpoint`` uses for ``step``."""
    return Path(directory) / f"ckpt_{int(step):09d}.npz"


def list_checkpoints(directory: PathLike) -> list[tuple[int, Path]]:
    """``(step, path)`` of every file named like a checkpoint, newest (largest step) first;
    nothing is verified."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), directory / m.group(0))
             for m in map(_NAME.match, os.listdir(directory)) if m]
    return sorted(found, reverse=True)


def save_checkpoint(directory: PathLike, state: State, extra: Optional[dict] = None,
                    keep: int = 3) -> Path:
    """Write ``state`` to ``directory/ckpt_<step:09d>.npz`` atomically; return the path.

    Args:
        directory: created if missing. An existing checkpoint of the same step is replaced.
        state: a concrete ``State`` (not traced); each leaf is stored bitwise with its dtype.
        extra: restart data that is not part of ``State`` but is needed for a resumed run to
            continue exactly as an uninterrupted one, e.g. ``{"next_output": 7,
            "observables": [[t, F, mass], ...]}``. Must be JSON-serialisable; NumPy scalars and
            arrays are converted to Python numbers and lists, tuples become lists and dict
            keys strings. Floats round-trip exactly (JSON keeps their shortest repr).
        keep: number of valid checkpoints to retain (>= 1), counting the one just written.
            Older files are verified newest first; once ``keep`` valid ones are counted, every
            older checkpoint file is deleted. Invalid files among the retained ones are left
            in place with a warning, so nothing newer than a retained checkpoint is removed;
            files of a later step than ``state.step`` (another run) are never removed.
            Verifying reads up to ``keep - 1`` older files in full.
    """
    if not isinstance(state, State):
        raise TypeError(f"save_checkpoint expects a phasefield State, got {type(state).__name__}")
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ValueError(f"keep must be an integer >= 1, got {keep!r}")
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict or None, got {type(extra).__name__}")
    arrays, fields = {}, {}
    for name, leaf in _leaves(state).items():
        if isinstance(leaf, jax.core.Tracer):
            raise TypeError(f"State.{name} is a traced value; call save_checkpoint outside "
                            "jax.jit / vmap / grad, between chunks of the run")
        if leaf is None:
            fields[name] = None
            continue
        arrays[name] = np.asarray(leaf, order="C")  # ascontiguousarray would make 0-d 1-d
        fields[name] = {"dtype": arrays[name].dtype.str, "shape": list(arrays[name].shape)}
    if arrays["step"].shape != ():
        raise ValueError(f"save_checkpoint stores one state; State.step has shape "
                         f"{arrays['step'].shape}. Save each member of a batch separately")
    step = int(arrays["step"])
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "fields": fields,
        "step": step,
        "t": float(arrays["t"]) if "t" in arrays else None,
        "extra": {} if extra is None else extra,
    }
    try:
        meta = json.loads(json.dumps(meta, default=_json_default))
    except (TypeError, ValueError) as err:
        raise TypeError(f"extra must be JSON-serialisable: {err}") from None
    meta["sha256"] = _checksum(meta, arrays)
    payload = dict(arrays)
    payload[_META] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(directory)
    final = checkpoint_path(directory, step)
    tmp = directory / f".{final.name}.{_HOST}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    _prune(directory, final, step, keep)
    return final


def load_checkpoint(path: PathLike, like: Optional[State] = None) -> tuple[State, dict]:
    """Read and verify one checkpoint file; return ``(state, extra)``.

    The leaves are ``jax.Array`` with the stored dtypes and bytes. Raises
    ``InvalidCheckpointError`` (with the reason) if the file is truncated, damaged, fails the
    checksum, or differs in shape/dtype/None-ness from ``like``; ``CheckpointError`` if it was
    written by a newer format version or holds float64 data while ``jax_enable_x64`` is off.
    """
    path = Path(path)
    arrays, meta = _read_verified(path)
    if like is not None:
        _check_like(path, meta["fields"], like)
    leaves = {}
    for name, spec in meta["fields"].items():
        if spec is None:
            leaves[name] = None
            continue
        leaves[name] = jnp.asarray(arrays[name])
        if leaves[name].dtype != arrays[name].dtype:
            raise CheckpointError(
                f"{path}: {name} is stored as {arrays[name].dtype} but JAX made it "
                f"{leaves[name].dtype}; enable 64-bit mode (import phasefield, or "
                "jax.config.update('jax_enable_x64', True)) before loading"
            )
    return State(**leaves), meta["extra"]


def load_latest_checkpoint(directory: PathLike, like: Optional[State] = None,
                           required: bool = False) -> Optional[tuple[State, dict]]:
    """The newest checkpoint in ``directory`` that verifies, as ``(state, extra)``.

    Files are tried in order of decreasing step; each one that is invalid (see
    ``load_checkpoint``) is skipped with a ``CheckpointWarning`` naming the file and the
    reason, and the next older one is tried. Returns ``None`` if the directory is missing or
    holds no valid checkpoint, unless ``required=True``, in which case ``CheckpointError``
    lists what was found and why each file was rejected. ``CheckpointError`` that no other
    file can fix (newer format version, float64 without x64) is raised at once.

    Pass ``like`` (e.g. the initial state of the run being resumed) to reject checkpoints whose
    shapes or dtypes differ from it; ``required=True`` when a restart is expected, so a run
    never silently starts over.
    """
    directory = Path(directory)
    rejected = []
    for _, path in list_checkpoints(directory):
        try:
            return load_checkpoint(path, like)
        except InvalidCheckpointError as err:
            rejected.append(str(err))
            warnings.warn(f"skipping checkpoint {err}", CheckpointWarning, stacklevel=2)
    if required:
        found = "; ".join(rejected) if rejected else "no ckpt_*.npz files"
        raise CheckpointError(f"no valid checkpoint in {directory} ({found})")
    return None


def _leaves(state: State) -> dict[str, Any]:
    return {f.name: getattr(state, f.name) for f in dataclasses.fields(State)}


def _json_default(obj):
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    if isinstance(obj, jax.Array):
        return np.asarray(obj).tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _checksum(meta: dict, arrays: dict[str, np.ndarray]) -> str:
    body = {k: v for k, v in meta.items() if k != "sha256"}
    h = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(arrays):
        a = np.asarray(arrays[name], order="C")
        h.update(f"\0{name}\0{a.dtype.str}\0{list(a.shape)}\0".encode())
        h.update(a.reshape(-1).view(np.uint8))
    return h.hexdigest()


def _read_verified(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    def bad(reason: str) -> InvalidCheckpointError:
        return InvalidCheckpointError(f"{path}: {reason}")

    try:
        # our own handle: np.load leaks the one it opens when the zip directory is unreadable
        with open(path, "rb") as f:
            npz = np.load(f, allow_pickle=False)
            if not hasattr(npz, "files"):
                raise bad("a single .npy array, not an .npz checkpoint archive")
            with npz:
                members = {name: npz[name] for name in npz.files}
    except (MemoryError, InvalidCheckpointError):
        raise
    except Exception as err:  # truncated zip, CRC mismatch, bad .npy header, object arrays...
        raise bad(f"unreadable ({type(err).__name__}: {err})") from None
    if _META not in members:
        raise bad("no __metadata__ member (not a phasefield checkpoint)")
    try:
        meta = json.loads(members.pop(_META).tobytes().decode())
    except (UnicodeDecodeError, ValueError) as err:
        raise bad(f"metadata is not valid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise bad(f"metadata format is not {FORMAT_NAME!r}")
    version = meta.get("version")
    if not isinstance(version, int):
        raise bad(f"metadata version {version!r} is not an integer")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: format version {version} is newer than this phasefield "
                              f"reads ({FORMAT_VERSION}); upgrade phasefield to resume")
    if meta.get("sha256") != _checksum(meta, members):
        raise bad("SHA-256 checksum mismatch (array data or metadata changed after writing)")
    fields = meta.get("fields")
    names = [f.name for f in dataclasses.fields(State)]
    if not isinstance(fields, dict) or sorted(fields) != sorted(names):
        raise bad(f"fields {fields and sorted(fields)} are not the State fields {sorted(names)}")
    stored = sorted(n for n, spec in fields.items() if spec is not None)
    if sorted(members) != stored:
        raise bad(f"arrays {sorted(members)} do not match the metadata fields {stored}")
    for name in stored:
        a, spec = members[name], fields[name]
        if a.dtype.str != spec["dtype"] or list(a.shape) != spec["shape"]:
            raise bad(f"{name} is {a.dtype.str}{list(a.shape)} but the metadata says "
                      f"{spec['dtype']}{spec['shape']}")
    return members, meta


def _check_like(path: Path, fields: dict, like: State) -> None:
    for name, leaf in _leaves(like).items():
        spec = fields[name]
        if (leaf is None) != (spec is None):
            raise InvalidCheckpointError(
                f"{path}: {name} is {'absent' if spec is None else 'present'} in the file but "
                f"{'None' if leaf is None else 'an array'} in the expected state")
        if leaf is None:
            continue
        want = (np.dtype(leaf.dtype).str, list(np.shape(leaf)))
        if want != (spec["dtype"], spec["shape"]):
            raise InvalidCheckpointError(
                f"{path}: {name} is {spec['dtype']}{spec['shape']} in the file, expected "
                f"{want[0]}{want[1]} (wrong shape or dtype for this run)")


def _prune(directory: Path, written: Path, step: int, keep: int) -> None:
    valid = 1  # the file just written
    for s, path in list_checkpoints(directory):
        if path == written:
            continue
        if s > step:
            warnings.warn(f"{path} is from a later step than the checkpoint just written "
                          f"(step {step}) and is kept; load_latest_checkpoint will prefer it. "
                          "Use one directory per run.", CheckpointWarning, stacklevel=3)
            continue
        if valid >= keep:
            path.unlink(missing_ok=True)
            continue
        try:
            _read_verified(path)
            valid += 1
        except CheckpointError as err:
            warnings.warn(f"checkpoint {err}; not counted towards keep={keep}",
                          CheckpointWarning, stacklevel=3)


def _remove_stale_temporaries(directory: Path) -> None:
    """Delete temporaries left by killed writers on this host (their pid no longer runs)."""
    for name in os.listdir(directory):
        m = _TMP.match(name)
        if not m or m.group("host") != _HOST or int(m.group("pid")) == os.getpid():
            continue
        if not _pid_alive(int(m.group("pid"))):
            (directory / name).unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; directories cannot be opened for fsync on Windows."""
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
