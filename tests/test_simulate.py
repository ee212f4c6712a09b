"""simulate(): equals stepping by hand; decimation, checkpointing, resumption, bad input."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array
from support import hlo as hlo_text

from dynax._core import AbstractCell
from dynax.neurons.graded.rate_cell import RateCell
from dynax.neurons.spiking.adex_cell import AdExCell
from dynax.simulate import simulate
from dynax.synapses.dense_synapse import DenseSynapse


class RandomWalk(AbstractCell):
    """x⁺ = x·decay + drive + noise: a minimal noisy cell to test the key schedule."""

    decay: Array

    def init_state(self, *, key=None):
        return jnp.zeros(3)

    def step(self, state, inputs, key, dt):
        drive = 0.0 if inputs is None else inputs
        return state * self.decay + drive + dt * jax.random.normal(key, (3,))


CELL = RateCell(3, 4.0, act_fx="tanh", prior=("gaussian", 0.5))
J = jax.random.normal(jax.random.key(0), (23, 3))


def by_hand(model, state, inputs, key, dt, num_steps):
    states = []
    for i in range(num_steps):
        step_inputs = None if inputs is None else jax.tree.map(lambda x, i=i: x[i], inputs)
        step_key = None if key is None else jax.random.fold_in(key, i)
        state = model.step(state, step_inputs, step_key, dt)
        states.append(state)
    return state, jax.tree.map(lambda *xs: jnp.stack(xs), *states)


def test_equals_stepping_by_hand():
    final, recorded = simulate(CELL, CELL.init_state(), RateCell.Inputs(J), dt=0.5)
    expected_final, expected = by_hand(CELL, CELL.init_state(), RateCell.Inputs(J), None, 0.5, 23)
    np.testing.assert_allclose(final.z, expected_final.z, rtol=1e-6)
    np.testing.assert_allclose(recorded.zF, expected.zF, rtol=1e-6)


def test_keys_are_folded_in_per_step():
    walk = RandomWalk(jnp.asarray(0.9))
    key = jax.random.key(3)
    _final, recorded = simulate(walk, walk.init_state(), None, key=key, dt=1.0, num_steps=7)
    _expected_final, expected = by_hand(walk, walk.init_state(), None, key, 1.0, 7)
    np.testing.assert_allclose(recorded, expected, rtol=1e-6)
    assert len(np.unique(np.asarray(recorded[:, 0]))) == 7


@pytest.mark.parametrize(("every", "expected_len"), [(1, 23), (4, 5), (23, 1), (30, 0)])
def test_record_every_keeps_every_kth_step(every, expected_len):
    full = simulate(CELL, CELL.init_state(), RateCell.Inputs(J), dt=0.5)[1].z
    final, kept = simulate(
        CELL,
        CELL.init_state(),
        RateCell.Inputs(J),
        dt=0.5,
        record=lambda s: s.z,
        record_every=every,
    )
    assert kept.shape == (expected_len, 3)
    np.testing.assert_allclose(kept, full[every - 1 :: every][:expected_len], rtol=1e-6)
    np.testing.assert_allclose(final.z, full[-1], rtol=1e-6)


@pytest.mark.parametrize(("every", "segment"), [(1, 5), (2, 6), (3, 3), (1, 50)])
def test_checkpointing_changes_neither_values_nor_gradients(every, segment):
    def loss(tau, checkpoint_every):
        cell = RateCell(3, tau, act_fx="tanh")
        final, kept = simulate(
            cell,
            cell.init_state(),
            RateCell.Inputs(J),
            dt=0.5,
            record=lambda s: s.z,
            record_every=every,
            checkpoint_every=checkpoint_every,
        )
        return jnp.sum(final.z**2) + jnp.sum(kept)

    plain, plain_grad = jax.value_and_grad(loss)(4.0, None)
    value, grad = jax.value_and_grad(loss)(4.0, segment)
    np.testing.assert_allclose(value, plain, rtol=1e-6)
    np.testing.assert_allclose(grad, plain_grad, rtol=1e-5)


def test_checkpointing_bounds_gradient_memory_over_10000_steps():
    """Reverse-mode scratch memory grows ~linearly in T without checkpoints and ~√T with
    segments of √T steps (XLA's own memory analysis of the compiled gradient)."""

    def temp_bytes(num_steps, checkpoint_every):
        def loss(tau):
            cell = RateCell(64, tau, act_fx="tanh")
            j = jnp.ones((num_steps, 64))
            final, _ = simulate(
                cell,
                cell.init_state(),
                RateCell.Inputs(j),
                dt=0.1,
                record=lambda s: None,
                checkpoint_every=checkpoint_every,
            )
            return final.z.sum()

        compiled = jax.jit(jax.grad(loss)).lower(5.0).compile()
        return compiled.memory_analysis().temp_size_in_bytes

    plain = [temp_bytes(t, None) for t in (2500, 10000)]
    checkpointed = [temp_bytes(t, int(t**0.5)) for t in (2500, 10000)]
    assert plain[1] / plain[0] > 3.5  # linear: 4× the steps, ~4× the memory
    assert checkpointed[1] / checkpointed[0] < 2.5  # ~√4 = 2
    assert checkpointed[1] < plain[1] / 20


def test_constant_inputs_equal_the_same_inputs_broadcast_over_time():
    j = J[0]
    held = simulate(
        CELL, CELL.init_state(), constant_inputs=RateCell.Inputs(j), dt=0.5, num_steps=23
    )
    broadcast = simulate(
        CELL, CELL.init_state(), RateCell.Inputs(jnp.broadcast_to(j, J.shape)), dt=0.5
    )
    np.testing.assert_allclose(held[1].z, broadcast[1].z, rtol=1e-6)
    np.testing.assert_allclose(held[0].zF, broadcast[0].zF, rtol=1e-6)


def test_constant_and_varying_inputs_are_combined_leaf_by_leaf():
    j_td = jnp.linspace(-1.0, 1.0, 3)
    mixed = simulate(
        CELL,
        CELL.init_state(),
        RateCell.Inputs(j=J, j_td=None),
        constant_inputs=RateCell.Inputs(j=None, j_td=j_td),
        dt=0.5,
    )
    both = RateCell.Inputs(j=J, j_td=jnp.broadcast_to(j_td, J.shape))
    _, expected = by_hand(CELL, CELL.init_state(), both, None, 0.5, 23)
    np.testing.assert_allclose(mixed[1].z, expected.z, rtol=1e-6)
    # The held pressure changes the run: it is not silently dropped.
    plain = simulate(CELL, CELL.init_state(), RateCell.Inputs(J), dt=0.5)
    assert not np.allclose(mixed[1].z, plain[1].z)


class Projected(AbstractCell):
    """x⁺ = 0.5·x + tanh(W·u): the projection of a constant u is loop-invariant."""

    weights: Array

    def init_state(self, *, key=None):
        return jnp.zeros(self.weights.shape[0])

    def step(self, state, inputs, key, dt):
        return 0.5 * state + jnp.tanh(self.weights @ inputs)


def test_a_constant_input_is_hoisted_out_of_the_time_loop():
    """XLA moves the matrix-vector product of a held input out of the while loop (it runs
    once, not once per step); broadcast over time, the product stays inside."""
    cell = Projected(jax.random.normal(jax.random.key(1), (32, 48)))
    u = jax.random.normal(jax.random.key(2), (48,))

    def held(cell, u):
        return simulate(cell, cell.init_state(), constant_inputs=u, dt=1.0, num_steps=50)[0]

    def broadcast(cell, u):
        return simulate(cell, cell.init_state(), jnp.broadcast_to(u, (50, 48)), dt=1.0)[0]

    def dot_in_a_loop_body(fn):
        hlo = jax.jit(fn).lower(cell, u).compile().as_text()
        return any(hlo_text.contains_dot(hlo, body) for body in hlo_text.while_bodies(hlo))

    np.testing.assert_allclose(held(cell, u), broadcast(cell, u), rtol=1e-6)
    assert dot_in_a_loop_body(broadcast)
    assert not dot_in_a_loop_body(held)


@pytest.mark.parametrize(
    ("inputs", "constant", "match"),
    [
        (RateCell.Inputs(J), RateCell.Inputs(J[0]), "given both over time"),
        (RateCell.Inputs(J), (J[0],), "same pytree"),
    ],
)
def test_bad_constant_inputs_raise(inputs, constant, match):
    with pytest.raises(ValueError, match=match):
        simulate(CELL, CELL.init_state(), inputs, constant_inputs=constant, dt=0.5)


def test_run_is_resumable():
    walk = RandomWalk(jnp.asarray(0.8))
    key = jax.random.key(11)
    drive = jnp.linspace(0, 1, 20)[:, None] * jnp.ones((20, 3))
    whole, whole_rec = simulate(walk, walk.init_state(), drive, key=key, dt=0.1)
    half, first = simulate(walk, walk.init_state(), drive[:10], key=key, dt=0.1)
    rest, second = simulate(walk, half, drive[10:], key=key, dt=0.1, start_step=10)
    np.testing.assert_array_equal(rest, whole)
    np.testing.assert_array_equal(jnp.concatenate([first, second]), whole_rec)


def test_works_under_jit_vmap_and_grad():
    @eqx.filter_jit
    def batched(cell, j):
        return jax.vmap(lambda x: simulate(cell, cell.init_state(), RateCell.Inputs(x), dt=0.5))(j)

    j = jnp.stack([J, -J, 2 * J])
    final, recorded = batched(CELL, j)
    for b in range(3):
        single_final, single = simulate(CELL, CELL.init_state(), RateCell.Inputs(j[b]), dt=0.5)
        np.testing.assert_allclose(recorded.z[b], single.z, rtol=1e-6)
        np.testing.assert_allclose(final.z[b], single_final.z, rtol=1e-6)


def test_progress_bar_counts_every_step_of_a_jitted_run(capsys):
    run = jax.jit(
        lambda j: simulate(
            CELL, CELL.init_state(), RateCell.Inputs(j), dt=0.5, record_every=5, progress=True
        )
    )
    for _ in range(2):  # the second call reuses the compiled run and shows a new bar
        jax.block_until_ready(run(J))
    err = capsys.readouterr().err
    assert err.count("23/23") == 2


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"inputs": RateCell.Inputs(J), "num_steps": 10}, "num_steps"),
        ({"inputs": None, "num_steps": 0}, "num_steps"),
        ({"inputs": None, "num_steps": -3}, "num_steps"),
        ({"inputs": None}, "num_steps"),
        ({"inputs": RateCell.Inputs(J[0, 0])}, "time axis"),
        ({"inputs": RateCell.Inputs(J, J[:5])}, "different lengths"),
        ({"inputs": RateCell.Inputs(J[:0])}, "length 0"),
        ({"inputs": RateCell.Inputs(J), "dt": 0.0}, "dt"),
        ({"inputs": RateCell.Inputs(J), "dt": -1.0}, "dt"),
        ({"inputs": RateCell.Inputs(J), "dt": float("nan")}, "dt"),
        ({"inputs": RateCell.Inputs(J), "dt": jnp.ones(2)}, "dt"),
        ({"inputs": RateCell.Inputs(J), "dt": None}, "dt"),
        ({"inputs": RateCell.Inputs(J), "dt": "0.1"}, "dt"),
        ({"inputs": RateCell.Inputs(J), "dt": float("inf")}, "dt"),
        ({"inputs": RateCell.Inputs(J), "record_every": 0}, "record_every"),
        ({"inputs": RateCell.Inputs(J), "record_every": 2, "checkpoint_every": 3}, "multiple"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    kwargs.setdefault("dt", 1.0)
    with pytest.raises(ValueError, match=match):
        simulate(CELL, CELL.init_state(), **kwargs)


@pytest.mark.parametrize("record", [lambda s: 1.0, lambda s: {"z": s.z, "name": "z"}])
def test_record_returning_non_arrays_raises(record):
    with pytest.raises(TypeError, match="record"):
        simulate(CELL, CELL.init_state(), RateCell.Inputs(J), dt=1.0, record=record)


def test_wrong_input_shape_reaches_the_cell_check():
    with pytest.raises(ValueError, match=r"RateCell.step: input `j` must have shape \(3,\)"):
        simulate(CELL, CELL.init_state(), RateCell.Inputs(jnp.ones((5, 4))), dt=1.0)


def test_checkpointed_runs_record_zero_size_leaves():
    """A state with a zero-size leaf (the empty delay buffer of a DenseSynapse without
    delays) is recorded through checkpointed segments as in a plain run."""
    synapse = DenseSynapse((4, 4), key=jax.random.key(0))
    inputs = DenseSynapse.Inputs(jax.random.normal(jax.random.key(1), (64, 4)))
    plain = simulate(synapse, synapse.init_state(), inputs, dt=0.1)
    segmented = simulate(synapse, synapse.init_state(), inputs, dt=0.1, checkpoint_every=8)
    assert segmented[1].buffer.shape == (64, 0, 4)
    for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(segmented), strict=True):
        np.testing.assert_array_equal(a, b)


def test_eager_calls_compile_once_per_configuration():
    """A second eager call with new values (state, inputs, a parameter given as an int or a
    NumPy scalar instead of a float) reuses the compiled run (only the new argument's
    conversion may compile)."""
    compiled = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, duration, fun_name="", **kwargs: (
            compiled.append(fun_name)
            if name == "/jax/core/compile/backend_compile_duration"
            else None
        )
    )

    def run(tau, drive):
        cell = AdExCell(4, tau_m=tau)
        inputs = AdExCell.Inputs(jnp.full(4, drive))
        return simulate(cell, cell.init_state(), constant_inputs=inputs, num_steps=50, dt=0.5)

    run(15.0, 20.0)
    assert "jit(_run)" in compiled  # the first call compiles the loop
    compiled.clear()
    for tau, drive in [(20, 25.0), (np.float32(12.0), 30.0), (jnp.asarray(18.0), 10.0)]:
        run(tau, drive)
    assert "jit(_run)" not in compiled, compiled
