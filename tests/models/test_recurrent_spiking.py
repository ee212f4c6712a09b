"""RecurrentSpikingNetwork: its step is its parts wired by hand; batching; gradients (the
contract of the step: tests/test_contract.py, entry in tests/components/models.py)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dynax.initializers import uniform
from dynax.models.recurrent_spiking import RecurrentSpikingNetwork
from dynax.neurons.spiking.adex_cell import AdExCell
from dynax.neurons.spiking.lif_cell import LIFCell
from dynax.simulate import simulate
from dynax.synapses.dense_synapse import DenseSynapse
from dynax.synapses.stp_dense_synapse import STPDenseSynapse

RSN = RecurrentSpikingNetwork
N, N_IN = 12, 5


def _net(presynaptic=True, cell=None):
    keys = jax.random.split(jax.random.key(0), 2)
    recurrent = STPDenseSynapse(
        (N, N), weight_init=uniform(0.0, 2.0), presynaptic=presynaptic, key=keys[0]
    )
    return RSN(N, N_IN, cell=cell, recurrent=recurrent, key=keys[1])


def _drive(steps=200, seed=1):
    key = jax.random.key(seed)
    x = jax.random.uniform(key, (steps, N_IN)) * 20.0
    current = jnp.linspace(10.0, 30.0, N) * jnp.ones((steps, N))
    return RSN.Inputs(x=x, current=current)


@pytest.mark.parametrize("presynaptic", [True, False])
def test_step_equals_its_parts_wired_by_hand(presynaptic):
    net = _net(presynaptic)
    inputs = _drive()
    state = simulate(net, net.init_state(), jax.tree.map(lambda a: a[:60], inputs), dt=0.5)[0]
    assert float(state.cell.s.sum() + state.recurrent.outputs.sum()) != 0.0
    x, current = inputs.x[60], inputs.current[60]
    new = net.step(state, RSN.Inputs(x=x, current=current), None, 0.5)

    j = state.recurrent.outputs + state.input.outputs + current
    cell = net.cell.step(state.cell, AdExCell.Inputs(j=j), None, 0.5)
    rec = net.recurrent.step(state.recurrent, STPDenseSynapse.Inputs(state.cell.s), None, 0.5)
    inp = net.input_projection.step(state.input, DenseSynapse.Inputs(x), None, 0.5)
    for got, want in [(new.cell, cell), (new.recurrent, rec), (new.input, inp)]:
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_network_spikes_and_recurrence_matters():
    net = _net()
    inputs = _drive()
    _, spikes = simulate(net, net.init_state(), inputs, dt=0.5, record=lambda s: s.cell.s)
    silent = eqx.tree_at(lambda n: n.recurrent.weights, net, jnp.zeros((N, N)))
    _, alone = simulate(silent, silent.init_state(), inputs, dt=0.5, record=lambda s: s.cell.s)
    assert spikes.sum() > 0
    assert not np.array_equal(np.asarray(spikes), np.asarray(alone))


def test_any_spiking_cell_can_be_the_population():
    net = _net(cell=LIFCell(N, tau_m=10.0, resist_m=1.0, thr=-52.0))
    _, spikes = simulate(net, net.init_state(), _drive(), dt=0.5, record=lambda s: s.cell.s)
    assert spikes.shape == (200, N) and float(spikes.sum()) > 0


def test_batched_run_equals_a_loop_of_single_runs():
    net = _net()
    drives = jax.vmap(lambda s: _drive(steps=50, seed=s))(jnp.arange(3))

    def run(inputs):
        return simulate(
            net, net.init_state(), inputs, dt=0.5, record=lambda s: (s.cell.s, s.cell.v)
        )[1]

    spikes, volts = jax.jit(jax.vmap(run))(drives)
    assert float(spikes.sum()) > 0
    for b in range(3):
        single_spikes, single_volts = run(jax.tree.map(lambda a, b=b: a[b], drives))
        np.testing.assert_array_equal(spikes[b], single_spikes)
        # rounding differences of a batched matmul are amplified on the exponential upswing
        np.testing.assert_allclose(volts[b], single_volts, rtol=1e-3, atol=1e-3)


def test_gradient_through_100_steps_is_finite_and_nonzero():
    net = _net()
    inputs = jax.tree.map(lambda a: a[:100], _drive())

    def loss(weights):
        model = eqx.tree_at(lambda n: n.recurrent.weights, net, weights)
        _, spikes = simulate(model, model.init_state(), inputs, dt=0.5, record=lambda s: s.cell.s)
        return spikes.mean()

    grad = jax.grad(loss)(net.recurrent.weights)
    assert np.all(np.isfinite(grad)) and float(jnp.abs(grad).sum()) > 0


def test_bad_inputs_raise():
    net = _net()
    with pytest.raises(ValueError, match="pass x"):
        net.step(net.init_state(), RSN.Inputs(current=jnp.ones(N)), None, 0.5)
    with pytest.raises(ValueError, match=r"input `current` must have shape \(12,\)"):
        net.step(net.init_state(), RSN.Inputs(x=jnp.ones(N_IN), current=jnp.ones(3)), None, 0.5)
