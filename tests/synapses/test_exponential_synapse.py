"""ExponentialSynapse: golden parity with ngclearn, the closed-form decay, the driving force,
pruning, the weight gradient, its arguments. What it shares with the other conductance
synapses (rest, gradients, bad input): tests/synapses/test_conductance_synapses.py; the
contract itself: tests/test_contract.py, entry in tests/components/synapses.py."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from support import contract
from support.golden import constructor_kwargs, golden_names, load_golden

from dynax.synapses.exponential_synapse import ExponentialSynapse

Inputs = ExponentialSynapse.Inputs

# ---------------------------------------------------------------- golden parity


@pytest.mark.parametrize("name", golden_names("ExponentialSynapse"))
def test_matches_reference(name):
    golden = load_golden(name)
    kwargs = constructor_kwargs(golden, {"batch_size": None, "key_seed": None, "p_conn": None})
    kwargs["weight_init"] = golden.init["weights"]
    synapse = ExponentialSynapse(**kwargs)
    # the reference's default (is_nonplastic=True) weights are ones, as dynax's default
    np.testing.assert_array_equal(
        ExponentialSynapse(**{**kwargs, "weight_init": None}).weights, golden.init["weights"]
    )
    step = jax.jit(jax.vmap(lambda s, x, v: synapse.step(s, Inputs(x, v), None, golden.dt)))
    state = jax.vmap(lambda _: synapse.init_state())(jnp.arange(golden.batch_size))
    for k in range(golden.num_steps):
        state = step(state, golden.inputs["inputs"][k], golden.inputs["v"][k])
        for field in ("g_syn", "i_syn", "outputs"):
            np.testing.assert_allclose(
                getattr(state, field),
                golden.traj[field][k],
                rtol=1e-5,
                atol=1e-5,
                err_msg=f"{field} at step {k + 1}",
            )


# ---------------------------------------------------------------- analytic oracles


@pytest.mark.parametrize(
    ("decay", "dt"), [("linear", 1.0), ("linear", 0.25), ("exponential", 1.0), ("exponential", 0.3)]
)
def test_single_spike_decays_in_closed_form(decay, dt):
    """One spike through weight w at step 0: g = ḡ w at once, then g_k = ḡ w a^k with
    a = 1 − dt/τ (linear, the reference's Euler step) or exp(−dt/τ) (exact)."""
    tau, gbar, w = 4.0, 0.7, jnp.array([[1.5, -2.0]])
    synapse = ExponentialSynapse((1, 2), tau, gbar, None, w, decay=decay)
    spikes = jnp.zeros((40, 1)).at[0, 0].set(1.0)
    _, states = contract.run_steps(synapse, synapse.init_state(), Inputs(spikes), None, dt)
    a = 1.0 - dt / tau if decay == "linear" else np.exp(-dt / tau)
    expected = gbar * np.asarray(w) * a ** np.arange(40)[:, None]
    np.testing.assert_allclose(states.g_syn, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(states.i_syn, -expected, rtol=1e-5, atol=1e-7)


def test_current_follows_the_driving_force():
    """i = −g·g_factor·(v − E_syn), per postsynaptic unit."""
    synapse = ExponentialSynapse(
        (2, 3), 5.0, 0.5, jnp.array([0.0, -70.0, 10.0]), g_conduct_factor=2.0
    )
    v = jnp.array([-60.0, -50.0, 20.0])
    new = synapse.step(synapse.init_state(), Inputs(jnp.array([1.0, 1.0]), v), None, 1.0)
    g = 0.5 * 2.0  # two spikes through unit weights
    np.testing.assert_allclose(new.g_syn, g)
    np.testing.assert_allclose(new.i_syn, -g * 2.0 * (np.asarray(v) - [0.0, -70.0, 10.0]))
    np.testing.assert_array_equal(new.outputs, new.i_syn)


def test_p_conn_prunes_the_default_weights():
    synapse = ExponentialSynapse((30, 20), 5.0, 1.0, None, p_conn=0.5, key=jax.random.PRNGKey(0))
    pruned = np.asarray(synapse.weights) == 0.0
    assert 0.35 < pruned.mean() < 0.65
    np.testing.assert_array_equal(np.asarray(synapse.weights)[~pruned], 1.0)
    np.testing.assert_array_equal(synapse.mask, (~pruned).astype(np.float32))


# ---------------------------------------------------------------- gradients, arguments
# (rest, gradients against finite differences, bad input: tests/synapses/
# test_conductance_synapses.py)

N_IN, N_OUT = 4, 3
_SPIKES = (np.arange(40)[:, None] % np.array([2, 3, 5, 7]) == 0).astype(np.float32)
_V = jnp.linspace(-70.0, -40.0, N_OUT)


def test_gradient_wrt_weight_matrix_is_finite():
    synapse = ExponentialSynapse((N_IN, N_OUT), 5.0, 0.3, 0.0, jnp.ones((N_IN, N_OUT)))

    def loss(s):
        inputs = Inputs(_SPIKES, jnp.broadcast_to(_V, (40, N_OUT)))
        return jnp.sum(contract.run_steps(s, s.init_state(), inputs, None, 1.0)[1].outputs)

    grad = eqx.filter_grad(loss)(synapse).weights
    assert np.all(np.isfinite(grad)) and np.all(grad != 0)


GOOD = {"shape": (N_IN, N_OUT), "tau_decay": 5.0, "g_syn_bar": 0.5, "syn_rest": 0.0}


def test_resist_scale_is_a_deprecated_alias():
    with pytest.warns(DeprecationWarning, match="resist_scale"):
        synapse = ExponentialSynapse(**GOOD, resist_scale=2.0)
    np.testing.assert_array_equal(synapse.g_conduct_factor, 2.0)


def test_without_a_reversal_potential_the_current_is_minus_g():
    """syn_rest=None: no voltage is needed, i = −g."""
    without = ExponentialSynapse(**{**GOOD, "syn_rest": None})
    new = without.step(without.init_state(), Inputs(jnp.ones(N_IN)), None, 1.0)
    np.testing.assert_allclose(new.i_syn, -new.g_syn)
