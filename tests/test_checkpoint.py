"""Checkpoints: bit-exact round trips (every component's: tests/test_contract.py), every dtype,
atomic writes, damaged files, clear errors, resumption."""

import os
import subprocess

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from dynax import checkpoint
from dynax.neurons.graded.rate_cell import RateCell
from dynax.simulate import simulate


def _assert_bit_exact(a, b):
    leaves_a, leaves_b = jax.tree.leaves(a), jax.tree.leaves(b)
    assert len(leaves_a) == len(leaves_b)
    for x, y in zip(leaves_a, leaves_b, strict=True):
        assert np.asarray(x).dtype == np.asarray(y).dtype
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_model_state_and_optimiser_round_trip_bit_exact(tmp_path):
    cell = RateCell(4, jnp.array([1.0, 2.5, 3.0, 7.0]), act_fx="tanh", prior=("cauchy", 0.3))
    state = simulate(cell, cell.init_state(), RateCell.Inputs(jnp.ones((5, 4))), dt=0.3)[0]
    optimiser = optax.adam(1e-3)
    opt_state = optimiser.init(eqx.filter(cell, eqx.is_inexact_array))
    tree = {"model": cell, "state": state, "opt": opt_state}
    checkpoint.save(tmp_path / "run.ckpt", tree)
    like = {
        "model": RateCell(4, jnp.ones(4), act_fx="tanh", prior=("cauchy", 0.0)),
        "state": cell.init_state(),
        "opt": optimiser.init(eqx.filter(cell, eqx.is_inexact_array)),
    }
    loaded = checkpoint.load(tmp_path / "run.ckpt", like)
    _assert_bit_exact(loaded, tree)
    assert loaded["model"].act_fx == "tanh"


def test_like_may_be_shapes_only(tmp_path):
    cell = RateCell(3, 2.0)
    checkpoint.save(tmp_path / "m.ckpt", cell)
    like = eqx.filter_eval_shape(RateCell, 3, 1.0)
    _assert_bit_exact(checkpoint.load(tmp_path / "m.ckpt", like), cell)


@pytest.mark.parametrize(
    ("like", "match"),
    [
        (RateCell(3, jnp.ones(3)), r"leaf \.tau_m has shape \[\] in .* but \[3\] in `like`"),
        ((RateCell(3, 1.0), jnp.zeros(2)), r"file has leaf \.tau_m where `like` has \[0\]\.tau_m"),
        (RateCell(3, 1.0).init_state(), r"file has leaf \.tau_m where `like` has \.z"),
        (jax.tree.map(lambda x: x.astype(jnp.float16), RateCell(3, 1.0)), r"dtype float32"),
    ],
)
def test_mismatch_names_the_leaf(tmp_path, like, match):
    checkpoint.save(tmp_path / "m.ckpt", RateCell(3, 1.0))
    with pytest.raises(ValueError, match=match):
        checkpoint.load(tmp_path / "m.ckpt", like)


def test_missing_leaves_are_named(tmp_path):
    checkpoint.save(tmp_path / "m.ckpt", [RateCell(3, 1.0)])
    with pytest.raises(ValueError, match=r"leaf \[1\]\.tau_m is missing from .*m\.ckpt"):
        checkpoint.load(tmp_path / "m.ckpt", [RateCell(3, 1.0), RateCell(3, 1.0)])
    with pytest.raises(ValueError, match=r"leaf \[0\]\.tau_m is missing from `like`"):
        checkpoint.load(tmp_path / "m.ckpt", [])


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "x.ckpt").write_bytes(b"\x80\x04 this is a pickle, maybe")
    with pytest.raises(ValueError, match="not a dynax checkpoint"):
        checkpoint.load(tmp_path / "x.ckpt", RateCell(3, 1.0))


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.1, 0.5, 0.99])
def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch, fraction):
    """The write dies after `fraction` of the new file's bytes; the old file survives."""
    new = RateCell(3, 99.0)
    checkpoint.save(tmp_path / "size", new)
    fail_after = int(fraction * (tmp_path / "size").stat().st_size)
    (tmp_path / "size").unlink()
    path = tmp_path / "m.ckpt"
    old = RateCell(3, 1.0)
    checkpoint.save(path, old)
    written = {"n": 0}
    real_fdopen = os.fdopen

    class Crashing:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            data = bytes(data)
            room = fail_after - written["n"]
            if len(data) > room:
                self.f.write(data[: max(room, 0)])
                raise KeyboardInterrupt("simulated crash mid-save")
            written["n"] += len(data)
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Crashing(real_fdopen(fd, mode)))
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, new)
    monkeypatch.undo()
    _assert_bit_exact(checkpoint.load(path, RateCell(3, 0.0)), old)
    assert [p.name for p in tmp_path.iterdir()] == ["m.ckpt"]  # no temporary file left


def test_resume_from_checkpoint_equals_uninterrupted_run(tmp_path):
    cell = RateCell(3, 3.0, act_fx="sigmoid", integration_type="rk4")
    j = RateCell.Inputs(jax.random.normal(jax.random.key(2), (40, 3)))
    whole, _ = simulate(cell, cell.init_state(), j, dt=0.2)
    half, _ = simulate(cell, cell.init_state(), jax.tree.map(lambda x: x[:20], j), dt=0.2)
    checkpoint.save(tmp_path / "half.ckpt", (cell, half))
    cell2, state2 = checkpoint.load(
        tmp_path / "half.ckpt",
        (RateCell(3, 1.0, act_fx="sigmoid", integration_type="rk4"), cell.init_state()),
    )
    resumed, _ = simulate(cell2, state2, jax.tree.map(lambda x: x[20:], j), dt=0.2, start_step=20)
    _assert_bit_exact(resumed, whole)


# ---------------------------------------------------------------- every dtype, damaged files

EVERY_DTYPE = {
    "float32": jnp.linspace(-1.0, 1.0, 5),
    "float16": jnp.linspace(-1.0, 1.0, 5).astype(jnp.float16),
    "bfloat16": jnp.linspace(-1.0, 1.0, 5).astype(jnp.bfloat16),
    "float8_e4m3fn": jnp.linspace(-1.0, 1.0, 5).astype(jnp.float8_e4m3fn),
    "int8": jnp.arange(-2, 3, dtype=jnp.int8),
    "int32": jnp.arange(5),
    "uint32": jnp.arange(5, dtype=jnp.uint32),
    "bool": jnp.array([True, False, True]),
    "complex64": jnp.array([1 + 2j, -0.5j]),
    "typed_key": jax.random.key(7),
    "typed_keys": jax.random.split(jax.random.key(8), 3),
    "raw_key": jax.random.PRNGKey(9),
    "scalar": jnp.asarray(3.5),
    "python_float": 2.25,
    "numpy": np.arange(4.0),
}


def _bits(x):
    if isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
        return np.asarray(jax.random.key_data(x)), str(jax.random.key_impl(x))
    return np.asarray(x).tobytes(), np.asarray(x).dtype


def test_every_dtype_and_typed_keys_round_trip_bit_exact(tmp_path):
    checkpoint.save(tmp_path / "all.ckpt", EVERY_DTYPE)
    loaded = checkpoint.load(tmp_path / "all.ckpt", EVERY_DTYPE)
    for name, value in EVERY_DTYPE.items():
        got, want = _bits(loaded[name]), _bits(value)
        np.testing.assert_array_equal(got[0], want[0], err_msg=name)
        assert got[1] == want[1], name
        assert type(loaded[name]) is type(value), name


def _damaged(blob: bytes, how: str, rng) -> bytes:
    if how == "truncated":
        return blob[: int(rng.integers(0, len(blob)))]
    if how == "flipped":
        position = int(rng.integers(len(checkpoint._MAGIC), len(blob)))
        flipped = bytearray(blob)
        flipped[position] ^= 1 << int(rng.integers(0, 8))
        return bytes(flipped)
    if how == "appended":
        return blob + b"\x00"
    return {"empty": b"", "pickle": b"\x80\x04\x95 a pickle", "text": b"hello\n" * 100}[how]


@pytest.mark.parametrize("how", ["truncated", "flipped", "appended", "empty", "pickle", "text"])
def test_a_damaged_file_raises_one_error_naming_it(tmp_path, how):
    """Every kind of damage, at random places: `CheckpointError` (a `ValueError`) naming the
    file, never another exception, never a silent load. A flipped bit of the payload is
    caught by its SHA-256."""
    tree = {
        "model": RateCell(4, jnp.arange(1.0, 5.0)),
        "keys": jax.random.split(jax.random.key(0), 2),
    }
    checkpoint.save(tmp_path / "good.ckpt", tree)
    blob = (tmp_path / "good.ckpt").read_bytes()
    rng = np.random.default_rng(0)
    for trial in range(25 if how in ("truncated", "flipped") else 1):
        path = tmp_path / f"bad{trial}.ckpt"
        path.write_bytes(_damaged(blob, how, rng))
        with pytest.raises(checkpoint.CheckpointError, match=str(path)):
            checkpoint.load(path, tree)


def test_a_killed_save_leaves_no_file_behind_after_the_next_save(tmp_path):
    """A save killed by a signal cannot clean up; the next save to the same target removes
    the temporary file of a process that no longer exists, and keeps a live one's."""
    target = tmp_path / "m.ckpt"
    dead = _exited_pid()
    stale = tmp_path / f".m.ckpt.{dead}.tmp"
    stale.write_bytes(b"x" * 1000)
    live = tmp_path / f".m.ckpt.{os.getppid()}.tmp"
    live.write_bytes(b"y")
    checkpoint.save(target, RateCell(3, 1.0))
    assert not stale.exists() and live.exists()
    live.unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.ckpt"]


def _exited_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
