"""`simulate`: run any cell or network over time with one `jax.lax.scan`."""

import threading
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import PRNGKeyArray, PyTree

from ._core import AbstractCell, check_stable_time_steps
from ._typing import TimeStep
from ._validate import check_int, check_time_step


def simulate(
    model: AbstractCell,
    state: PyTree,
    inputs: PyTree = None,
    *,
    constant_inputs: PyTree = None,
    key: PRNGKeyArray | None = None,
    dt: TimeStep,
    num_steps: int | None = None,
    record: Callable[[PyTree], PyTree] | None = None,
    record_every: int = 1,
    checkpoint_every: int | None = None,
    start_step: int = 0,
    progress: bool = False,
) -> tuple[PyTree, PyTree]:
    """Advances `state` by `model.step` over a time axis and records what `record` keeps.

    **Arguments:**

    - `model`: any cell, synapse or network (`step(state, inputs, key, dt) -> state`).
    - `state`: the state at the start (e.g. `model.init_state()`).
    - `inputs`: a pytree whose every leaf has a leading time axis of the same length T; step
        i gets `inputs[i]`. `None` for an autonomous run of `num_steps` steps (each step then
        gets `inputs=None`).
    - `constant_inputs`: inputs held fixed over the whole run (a clamped image, a constant
        drive), without a time axis. Step i gets `eqx.combine(inputs[i], constant_inputs)`:
        both are pytrees of one step's inputs with `None` where the other one gives the
        value (e.g. `PCInputs(x=None, y=ys)` and `PCInputs(x=x, y=None)`); with `inputs=None`
        every step gets `constant_inputs` (then give `num_steps`). Prefer this to
        broadcasting a constant over time: the scan body then sees a loop invariant, so
        XLA hoists whatever depends only on it (a clamped input's first-layer matmul) out
        of the time loop, and reverse mode stores it once instead of once per step.
    - `key`: randomness; step i uses `jax.random.fold_in(key, start_step + i)`, so a run is
        the same whether it is done at once or in pieces. `None` for models without noise.
    - `dt`: the time step (a positive scalar).
    - `num_steps`: the number of steps T; inferred from `inputs` when given.
    - `record`: `state -> pytree of arrays` kept after every `record_every`-th step (steps
        k, 2k, ...); default: the whole state. Return `None` to keep nothing.
    - `record_every`: decimation k ≥ 1 of the recording.
    - `checkpoint_every`: if set, runs segments of this many steps (a multiple of
        `record_every`) under `jax.checkpoint`: reverse-mode memory becomes
        O(T / checkpoint_every + checkpoint_every) states instead of O(T), at the cost of
        recomputing each segment once. √T is a good choice.
    - `start_step`: the index of the first step (for the keys of a resumed run).
    - `progress`: show a tqdm progress bar, updated from inside the compiled run by a host
        callback (`pip install dynax[progress]`). Meant for unbatched runs.

    **Returns:** `(final_state, recorded)`, where every leaf of `recorded` has a leading axis
    of length `T // record_every`.

    A run of 2N steps equals a run of N steps followed by N more from the returned state with
    `start_step=N` (and the same `key`).
    """
    num_steps = _num_steps(inputs, num_steps)
    check_int("simulate", "record_every", record_every, minimum=1)
    check_int("simulate", "start_step", start_step, minimum=0)
    check_time_step("simulate", dt)
    check_stable_time_steps(model, dt)
    if checkpoint_every is not None:
        check_int("simulate", "checkpoint_every", checkpoint_every, minimum=1)
        if checkpoint_every % record_every:
            raise ValueError(
                f"simulate: `checkpoint_every` ({checkpoint_every}) must be a multiple of "
                f"`record_every` ({record_every})."
            )
    _merger(inputs, constant_inputs)  # checks that the two fit together
    record = _whole_state if record is None else record
    _check_record(record, state)
    arguments = (model, state, inputs, constant_inputs, key, dt)
    traced = any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(arguments))
    # Called eagerly, one compiled function per configuration: a later call with new values
    # (a new state, other inputs, other parameters) reuses it instead of tracing the loop
    # again. Under a transformation the caller's trace is the compilation.
    run = _run if traced else _compiled_run
    return run(
        model,
        state,
        inputs,
        constant_inputs,
        key,
        dt,
        jnp.asarray(start_step),
        num_steps=num_steps,
        record=record,
        record_every=record_every,
        checkpoint_every=checkpoint_every,
        progress=progress,
    )


def _run(
    model,
    state,
    inputs,
    constant_inputs,
    key,
    dt,
    start_step,
    *,
    num_steps,
    record,
    record_every,
    checkpoint_every,
    progress,
):
    merge = _merger(inputs, constant_inputs)
    tick = _Progress(num_steps) if progress else None

    def one_step(carry, index_and_inputs):
        index, step_inputs = index_and_inputs
        step_key = None if key is None else jax.random.fold_in(key, start_step + index)
        return model.step(carry, merge(step_inputs), step_key, dt), None

    def run_steps(carry, indices, step_inputs):
        return jax.lax.scan(one_step, carry, (indices, step_inputs))[0]

    def run_block(carry, block):
        # `record_every` steps, then one record.
        indices, step_inputs = block
        carry = run_steps(carry, indices, step_inputs)
        if tick is not None:
            jax.debug.callback(tick, indices.shape[0])
        return carry, _checked(record, carry)

    def run_blocks(carry, blocks):
        return jax.lax.scan(run_block, carry, blocks)

    schedule = (jnp.arange(num_steps), inputs)
    k = record_every
    pieces = []
    carry = state
    position = 0
    if checkpoint_every is not None:
        blocks_per_segment = checkpoint_every // k
        n_segments = num_steps // checkpoint_every
        if n_segments:
            head = _take(schedule, 0, n_segments * checkpoint_every)
            segments = _reshape_time(head, (n_segments, blocks_per_segment, k))
            carry, recorded = jax.lax.scan(jax.checkpoint(run_blocks), carry, segments)
            pieces.append(_merge_leading(recorded))
            position = n_segments * checkpoint_every
    n_blocks = (num_steps - position) // k
    if n_blocks:
        blocks = _reshape_time(_take(schedule, position, position + n_blocks * k), (n_blocks, k))
        carry, recorded = run_blocks(carry, blocks)
        pieces.append(recorded)
        position += n_blocks * k
    if position < num_steps:  # the last steps, after the last record
        tail_indices, tail_inputs = _take(schedule, position, num_steps)
        carry = run_steps(carry, tail_indices, tail_inputs)
        if tick is not None:
            jax.debug.callback(tick, num_steps - position)
    if not pieces:
        empty = jax.eval_shape(record, state)
        recorded = jax.tree.map(lambda s: jnp.zeros((0, *s.shape), s.dtype), empty)
    elif len(pieces) == 1:
        recorded = pieces[0]
    else:
        recorded = jax.tree.map(lambda *xs: jnp.concatenate(xs), *pieces)
    return carry, recorded


_compiled_run = eqx.filter_jit(_run)


def _whole_state(state: PyTree) -> PyTree:
    return state


def _merger(inputs: PyTree, constant_inputs: PyTree) -> Callable[[PyTree], PyTree]:
    """`step_inputs -> the inputs of one step`, with the constant part filled in."""
    if constant_inputs is None:
        return lambda step_inputs: step_inputs
    if inputs is None:
        return lambda step_inputs: constant_inputs
    varying = jax.tree.structure(inputs, is_leaf=_is_none)
    constant = jax.tree.structure(constant_inputs, is_leaf=_is_none)
    if varying != constant:
        raise ValueError(
            "simulate: `inputs` and `constant_inputs` must be the same pytree of one step's "
            "inputs, with `None` where the other one gives the value; got\n"
            f"  inputs:          {varying}\n  constant_inputs: {constant}"
        )

    def given_once(path, over_time, held):
        if over_time is not None and held is not None:
            raise ValueError(
                f"simulate: inputs{jax.tree_util.keystr(path)} is given both over time "
                "(`inputs`) and held fixed (`constant_inputs`); set it to `None` in one of them."
            )

    jax.tree_util.tree_map_with_path(given_once, inputs, constant_inputs, is_leaf=_is_none)
    return lambda step_inputs: eqx.combine(step_inputs, constant_inputs)


def _is_none(x) -> bool:
    return x is None


def _num_steps(inputs: PyTree, num_steps: int | None) -> int:
    leaves = jax.tree_util.tree_leaves_with_path(inputs)
    if not leaves:
        if num_steps is None:
            raise ValueError(
                "simulate: give `inputs` with a leading time axis, or `num_steps` for an "
                "autonomous run."
            )
        check_int("simulate", "num_steps", num_steps, minimum=1)
        return num_steps
    lengths = {}
    for path, leaf in leaves:
        if jnp.ndim(leaf) == 0:
            raise ValueError(
                f"simulate: every leaf of `inputs` needs a leading time axis; "
                f"inputs{jax.tree_util.keystr(path)} is a scalar."
            )
        lengths[jax.tree_util.keystr(path)] = jnp.shape(leaf)[0]
    if len(set(lengths.values())) > 1:
        raise ValueError(
            "simulate: the leaves of `inputs` have time axes of different lengths: "
            + ", ".join(f"inputs{p}: {n}" for p, n in lengths.items())
        )
    length = next(iter(lengths.values()))
    if length == 0:
        raise ValueError("simulate: `inputs` has a time axis of length 0; nothing to run.")
    if num_steps is not None:
        check_int("simulate", "num_steps", num_steps, minimum=1)
        if num_steps != length:
            raise ValueError(
                f"simulate: `num_steps`={num_steps} but the time axis of `inputs` has length "
                f"{length}; give one of them, or make them agree."
            )
    return length


def _checked(record: Callable, state: PyTree) -> PyTree:
    kept = record(state)
    for path, leaf in jax.tree_util.tree_leaves_with_path(kept):
        if not isinstance(leaf, jax.Array):
            raise TypeError(
                f"simulate: `record` must return a pytree of JAX arrays; "
                f"record(state){jax.tree_util.keystr(path)} is a {type(leaf).__name__}."
            )
    return kept


def _check_record(record: Callable, state: PyTree) -> None:
    if not callable(record):
        raise TypeError(f"simulate: `record` must be callable, got {record!r}.")
    jax.eval_shape(lambda s: _checked(record, s), state)


def _take(tree: PyTree, start: int, stop: int) -> PyTree:
    return jax.tree.map(lambda x: x[start:stop], tree)


def _reshape_time(tree: PyTree, shape: tuple[int, ...]) -> PyTree:
    return jax.tree.map(lambda x: x.reshape(*shape, *x.shape[1:]), tree)


def _merge_leading(tree: PyTree) -> PyTree:
    # explicit sizes: `reshape(-1, ...)` cannot infer the axis of a zero-size leaf
    return jax.tree.map(lambda x: x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]), tree)


class _Progress:
    """A tqdm bar driven by host callbacks; opened on the first tick of a run, closed when the
    run's steps are all counted (so a cached compiled run shows a fresh bar each call)."""

    def __init__(self, total: int):
        try:
            import tqdm.auto
        except ImportError as error:
            raise ImportError(
                "simulate(progress=True) needs tqdm: pip install 'dynax[progress]'."
            ) from error
        self._tqdm = tqdm.auto.tqdm
        self.total = total
        self.bar = None
        self.done = 0
        self.lock = threading.Lock()

    def __call__(self, steps) -> None:
        with self.lock:
            if self.bar is None:
                self.bar = self._tqdm(total=self.total, unit="step", desc="simulate")
                self.done = 0
            steps = int(steps)
            self.bar.update(steps)
            self.done += steps
            if self.done >= self.total:
                self.bar.close()
                self.bar = None
