"""Checkpoints of models, states and optimiser states: `save(path, tree)`, `load(path, like)`.

The file is a short JSON manifest (the path, shape and dtype of every array leaf) followed by
equinox's leaf serialisation (`eqx.tree_serialise_leaves`: one `.npy` record per leaf). Nothing
is unpickled: every record is read with `numpy.load(..., allow_pickle=False)`. Writes are
atomic: the file is written beside the target under a temporary name, flushed to disk and
renamed over it, so a crash mid-save leaves the previous checkpoint intact.
"""

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import PyTree

_MAGIC = b"DYNAX-CHECKPOINT\x00"
_VERSION = 1


def _manifest(tree: PyTree) -> list[dict[str, Any]]:
    entries = []
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        if isinstance(leaf, jax.ShapeDtypeStruct):
            shape, dtype = leaf.shape, leaf.dtype
        elif not eqx.is_array_like(leaf):
            continue
        else:
            shape, dtype = np.shape(leaf), jnp.result_type(leaf)
        entries.append(
            {"path": jax.tree_util.keystr(path), "shape": list(shape), "dtype": str(dtype)}
        )
    return entries


def save(path: str | os.PathLike, tree: PyTree) -> None:
    """Writes every array leaf of `tree` (a model, a state, an optax state, or any pytree of
    them) to `path`, atomically."""
    path = Path(path)
    payload = io.BytesIO()
    eqx.tree_serialise_leaves(payload, tree)
    manifest = json.dumps({"version": _VERSION, "leaves": _manifest(tree)}).encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC)
            f.write(len(manifest).to_bytes(8, "little"))
            f.write(manifest)
            f.write(payload.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


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


def _no_pickle_load(f, like_leaf):
    if isinstance(like_leaf, jax.Array | jax.ShapeDtypeStruct):
        return jnp.asarray(np.load(f, allow_pickle=False))
    if isinstance(like_leaf, np.ndarray):
        return np.load(f, allow_pickle=False)
    if eqx.is_array_like(like_leaf):
        return type(like_leaf)(np.load(f, allow_pickle=False).item())
    return like_leaf


def load(path: str | os.PathLike, like: PyTree) -> PyTree:
    """Reads a checkpoint written by `save` into the structure of `like` (a tree of the same
    kind, e.g. a freshly built model or `eqx.filter_eval_shape` of one).

    Raises `ValueError` naming the first leaf whose path, shape or dtype differs from `like`,
    and when the file is not a dynax checkpoint.
    """
    path = Path(path)
    with open(path, "rb") as f:
        if f.read(len(_MAGIC)) != _MAGIC:
            raise ValueError(f"load: {path} is not a dynax checkpoint (no header).")
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        if header.get("version") != _VERSION:
            raise ValueError(f"load: {path} has checkpoint version {header.get('version')}.")
        _compare(path, header["leaves"], _manifest(like))
        return eqx.tree_deserialise_leaves(f, like, filter_spec=_no_pickle_load)


def _compare(path: Path, stored: list[dict], expected: list[dict]) -> None:
    for saved, wanted in zip(stored, expected, strict=False):
        if saved["path"] != wanted["path"]:
            raise ValueError(
                f"load: {path} does not match `like`: the file has leaf {saved['path']} where "
                f"`like` has {wanted['path']}."
            )
        for what in ("shape", "dtype"):
            if saved[what] != wanted[what]:
                raise ValueError(
                    f"load: leaf {wanted['path']} has {what} {saved[what]} in {path} but "
                    f"{wanted[what]} in `like`."
                )
    if len(stored) != len(expected):
        longer, missing = (stored, "`like`") if len(stored) > len(expected) else (expected, path)
        extra = longer[min(len(stored), len(expected))]["path"]
        raise ValueError(
            f"load: {path} does not match `like`: leaf {extra} is missing from {missing} "
            f"({len(stored)} leaves stored, {len(expected)} expected)."
        )
