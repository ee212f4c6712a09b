"""Checkpoints of models, states and optimiser states: `save(path, tree)`, `load(path, like)`.

The file is a fixed header (magic, version, manifest length), a JSON manifest (for every array
leaf: its path, shape, dtype, where its bytes are, and for a typed PRNG key its
implementation), then the raw bytes of every leaf (in the machine's byte order: little-endian
on x86 and ARM), in order. The manifest holds
the SHA-256 of the payload, so a flipped bit is found. Nothing is unpickled: bytes become
arrays with `numpy.frombuffer` in the recorded dtype, so every dtype JAX has (bfloat16 and the
float8 types included) and typed keys round-trip bit for bit.

Writes are atomic: the file is written beside the target under a temporary name, flushed to
disk and renamed over it, so a crash mid-save leaves the previous checkpoint intact; the
temporary file of a save that was killed is removed by the next save to the same target.
Every problem with a file (not a checkpoint, truncated, damaged, another version, not the
structure of `like`) raises one error type, `CheckpointError`, naming the file and what is
wrong.
"""

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import PyTree

_MAGIC = b"DYNAX-CHECKPOINT\x00"
_VERSION = 2
_LENGTH_BYTES = 8
_MAX_MANIFEST = 1 << 30


class CheckpointError(ValueError):
    """A checkpoint file that cannot be loaded (as asked): the message names the file and
    what is wrong with it."""


def _is_key(leaf: Any) -> bool:
    return isinstance(leaf, jax.Array | jax.ShapeDtypeStruct) and jnp.issubdtype(
        leaf.dtype, jax.dtypes.prng_key
    )


def _array_leaves(tree: PyTree) -> list[tuple[str, Any]]:
    """`(path, leaf)` of every array-like leaf (what a checkpoint stores)."""
    return [
        (jax.tree_util.keystr(path), leaf)
        for path, leaf in jax.tree_util.tree_leaves_with_path(tree)
        if isinstance(leaf, jax.ShapeDtypeStruct) or eqx.is_array_like(leaf)
    ]


def _describe(leaf: Any) -> dict[str, Any]:
    if _is_key(leaf):
        impl = str(jax.random.key_impl(leaf)) if isinstance(leaf, jax.Array) else None
        return {"shape": list(leaf.shape), "dtype": "key", "impl": impl}
    return {"shape": list(np.shape(leaf)), "dtype": str(jnp.result_type(leaf))}


def save(path: str | os.PathLike, tree: PyTree) -> None:
    """Writes every array leaf of `tree` (a model, a state, an optax state, or any pytree of
    them) to `path`, atomically."""
    path = Path(path)
    entries, chunks, offset = [], [], 0
    for name, leaf in _array_leaves(tree):
        entry = {"path": name, **_describe(leaf)}
        data = jax.random.key_data(leaf) if _is_key(leaf) else leaf
        raw = np.ascontiguousarray(np.asarray(data))
        chunk = raw.tobytes()
        entry |= {"offset": offset, "nbytes": len(chunk), "stored": str(raw.dtype.name)}
        entries.append(entry)
        chunks.append(chunk)
        offset += len(chunk)
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    manifest = json.dumps(
        {"version": _VERSION, "sha256": digest.hexdigest(), "leaves": entries}
    ).encode()
    _remove_stale_temporaries(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC)
            f.write(len(manifest).to_bytes(_LENGTH_BYTES, "little"))
            f.write(manifest)
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _remove_stale_temporaries(path: Path) -> None:
    """Removes what saves to `path` that were killed left behind (their process is gone)."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.tmp$")
    for candidate in path.parent.glob(f".{path.name}.*.tmp"):
        match = pattern.match(candidate.name)
        if match and not _process_alive(int(match.group(1))):
            candidate.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own earlier save cannot still be running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform allows opening a directory.
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load(path: str | os.PathLike, like: PyTree) -> PyTree:
    """Reads a checkpoint written by `save` into the structure of `like` (a tree of the same
    kind, e.g. a freshly built model or `eqx.filter_eval_shape` of one).

    Raises `CheckpointError` naming the file and what is wrong: not a dynax checkpoint, a
    truncated or damaged file (the payload's SHA-256 does not match), another version, or a
    leaf whose path, shape or dtype differs from `like` (the first such leaf is named).
    """
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as error:
        raise CheckpointError(f"load: cannot read {path}: {error}") from None
    header = _read_header(path, blob)
    entries = header["leaves"]
    payload = memoryview(blob)[len(_MAGIC) + _LENGTH_BYTES + header["_manifest_bytes"] :]
    _check_payload(path, header, entries, payload)
    expected = [(name, _describe(leaf)) for name, leaf in _array_leaves(like)]
    _compare(path, entries, expected)
    arrays = iter(_read_array(path, entry, payload) for entry in entries)
    leaves, treedef = jax.tree.flatten(like)
    loaded = []
    for leaf in leaves:
        if isinstance(leaf, jax.ShapeDtypeStruct) or eqx.is_array_like(leaf):
            value = next(arrays)
            if isinstance(leaf, np.ndarray):
                loaded.append(np.asarray(value))
            elif isinstance(leaf, jax.Array | jax.ShapeDtypeStruct):
                loaded.append(value if _is_key(leaf) else jnp.asarray(value))
            else:  # a Python or NumPy scalar
                loaded.append(type(leaf)(np.asarray(value).item()))
        else:
            loaded.append(leaf)
    return jax.tree.unflatten(treedef, loaded)


def _read_header(path: Path, blob: bytes) -> dict[str, Any]:
    if not blob.startswith(_MAGIC):
        raise CheckpointError(f"load: {path} is not a dynax checkpoint (no header).")
    start = len(_MAGIC) + _LENGTH_BYTES
    if len(blob) < start:
        raise CheckpointError(f"load: {path} is truncated (its header is incomplete).")
    size = int.from_bytes(blob[len(_MAGIC) : start], "little")
    if size > min(_MAX_MANIFEST, len(blob) - start):
        raise CheckpointError(
            f"load: {path} is truncated or damaged (its manifest of {size} bytes does not fit "
            f"in the {len(blob) - start} bytes that follow the header)."
        )
    try:
        header = json.loads(bytes(blob[start : start + size]))
        if not isinstance(header, dict):
            raise TypeError("not an object")
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as error:
        raise CheckpointError(f"load: {path} has a damaged manifest ({error}).") from None
    if header.get("version") != _VERSION:
        raise CheckpointError(
            f"load: {path} has checkpoint version {header.get('version')!r}; this dynax reads "
            f"version {_VERSION}."
        )
    if not isinstance(header.get("leaves"), list) or not isinstance(header.get("sha256"), str):
        raise CheckpointError(f"load: {path} has a damaged manifest (no leaves or checksum).")
    header["_manifest_bytes"] = size
    return header


def _check_payload(path: Path, header: dict, entries: list, payload: memoryview) -> None:
    try:
        needed = sum(int(entry["nbytes"]) for entry in entries)
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"load: {path} has a damaged manifest (bad leaf entry).") from None
    if len(payload) != needed:
        raise CheckpointError(
            f"load: {path} is truncated or damaged: its leaves need {needed} bytes, the file "
            f"holds {len(payload)}."
        )
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        raise CheckpointError(
            f"load: {path} is damaged: the SHA-256 of its contents does not match the one "
            "recorded when it was saved."
        )


def _read_array(path: Path, entry: dict, payload: memoryview) -> Any:
    try:
        start, nbytes = int(entry["offset"]), int(entry["nbytes"])
        stored = np.dtype(jnp.dtype(entry["stored"]))
        data = np.frombuffer(payload[start : start + nbytes], dtype=stored).reshape(
            entry["shape"] if entry["dtype"] != "key" else (*entry["shape"], -1)
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(
            f"load: {path} has a damaged entry for leaf {entry.get('path')!r} ({error})."
        ) from None
    if entry["dtype"] == "key":
        return jax.random.wrap_key_data(jnp.asarray(data), impl=entry.get("impl"))
    return data


def _compare(path: Path, stored: list[dict], expected: list[tuple[str, dict]]) -> None:
    for saved, (name, wanted) in zip(stored, expected, strict=False):
        if saved.get("path") != name:
            raise CheckpointError(
                f"load: {path} does not match `like`: the file has leaf {saved.get('path')} "
                f"where `like` has {name}."
            )
        for what in ("shape", "dtype"):
            if saved.get(what) != wanted[what]:
                raise CheckpointError(
                    f"load: leaf {name} has {what} {saved.get(what)} in {path} but "
                    f"{wanted[what]} in `like`."
                )
    if len(stored) != len(expected):
        if len(stored) > len(expected):
            extra, missing = stored[len(expected)].get("path"), "`like`"
        else:
            extra, missing = expected[len(stored)][0], path
        raise CheckpointError(
            f"load: {path} does not match `like`: leaf {extra} is missing from {missing} "
            f"({len(stored)} leaves stored, {len(expected)} expected)."
        )
