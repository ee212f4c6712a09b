"""What the conductance synapses (ExponentialSynapse, AlphaSynapse, DoubleExpSynapse) share:
rest is a fixed point, the current follows the driving force (the two-stage ones; the
exponential one's own file checks it), gradients with respect to the time constants and the
weights match finite differences, inputs of a wrong shape and a missing voltage are refused
(each synapse's own file: its analytic oracles; the contract: tests/test_contract.py)."""

import dataclasses
import functools
import re
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from components.synapses import alpha_synapses, double_exp_synapses, exponential_synapses
from hypothesis import given
from hypothesis import strategies as st
from support import contract

from dynax.synapses.alpha_synapse import AlphaSynapse
from dynax.synapses.double_exp_synapse import DoubleExpSynapse
from dynax.synapses.exponential_synapse import ExponentialSynapse

N_IN, N_OUT = 4, 3  # the shape of the registry's synapses
SHAPE = (N_IN, N_OUT)


@dataclasses.dataclass(frozen=True)
class Kind:
    """One conductance synapse: its class, the registry's strategy of valid synapses, the
    conductances of its state, valid constructor arguments, and how the gradient tests
    build it from its time constants and weights (at the `times` of the weight test)."""

    cls: type
    synapses: Callable[[], st.SearchStrategy]
    conductances: tuple[str, ...]
    good: dict
    make: Callable[..., object]
    times: tuple[float, ...]


_GOOD = {"shape": SHAPE, "tau_decay": 5.0, "g_syn_bar": 0.5, "syn_rest": 0.0}

KINDS = {
    "ExponentialSynapse": Kind(
        ExponentialSynapse,
        exponential_synapses,
        ("g_syn",),
        _GOOD,
        lambda tau, w: ExponentialSynapse(SHAPE, tau, 0.3, 0.0, w),
        (5.0,),
    ),
    "AlphaSynapse": Kind(
        AlphaSynapse,
        alpha_synapses,
        ("h_syn", "g_syn"),
        _GOOD,
        lambda tau, w: AlphaSynapse(SHAPE, tau, 0.3, 0.0, w, decay="exponential"),
        (5.0,),
    ),
    "DoubleExpSynapse": Kind(
        DoubleExpSynapse,
        double_exp_synapses,
        ("h_syn", "g_syn"),
        {**_GOOD, "tau_rise": 1.0},
        lambda tau_d, tau_r, w: DoubleExpSynapse(
            SHAPE, tau_d, tau_r, 0.3, 0.0, w, decay="exponential"
        ),
        (5.0, 1.0),
    ),
}
NAMES = sorted(KINDS)


# ---------------------------------------------------------------- rest

finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)
vec_out = st.lists(finite, min_size=N_OUT, max_size=N_OUT).map(
    lambda v: jnp.asarray(v, jnp.float32)
)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_rest_is_a_fixed_point_without_input(name, data):
    kind = KINDS[name]
    synapse, v = data.draw(kind.synapses()), data.draw(vec_out)
    new = synapse.step(synapse.init_state(), kind.cls.Inputs(jnp.zeros(N_IN), v), None, 1.0)
    for field in kind.conductances:
        np.testing.assert_array_equal(getattr(new, field), 0.0)
    np.testing.assert_array_equal(np.abs(new.i_syn), 0.0)


# ---------------------------------------------------------------- the driving force

# The two-stage synapses (h, then g): one spike, then a step at other voltages.
TWO_STAGE = {
    "AlphaSynapse": lambda e_syn: AlphaSynapse((1, 2), 2.0, 1.0, e_syn, g_conduct_factor=0.5),
    "DoubleExpSynapse": lambda e_syn: DoubleExpSynapse(
        (1, 2), 4.0, 1.0, 1.0, e_syn, g_conduct_factor=0.5
    ),
}


@pytest.mark.parametrize("name", sorted(TWO_STAGE))
def test_current_follows_the_driving_force(name):
    """i = −g·g_factor·(v − E_syn) per postsynaptic unit."""
    synapse, inputs = TWO_STAGE[name](jnp.array([0.0, -80.0])), KINDS[name].cls.Inputs
    state = synapse.step(synapse.init_state(), inputs(jnp.ones(1), jnp.zeros(2)), None, 1.0)
    v = jnp.array([-65.0, -40.0])
    new = synapse.step(state, inputs(jnp.zeros(1), v), None, 1.0)
    np.testing.assert_allclose(new.i_syn, -new.g_syn * 0.5 * (np.asarray(v) - [0.0, -80.0]))
    np.testing.assert_array_equal(new.outputs, new.i_syn)


# ---------------------------------------------------------------- gradients

_SPIKES = (np.arange(40)[:, None] % np.array([2, 3, 5, 7]) == 0).astype(np.float32)
_V = jnp.broadcast_to(jnp.linspace(-70.0, -40.0, N_OUT), (40, N_OUT))


@functools.partial(jax.jit, static_argnums=0)
def _loss(name, times, a):
    """The summed current over 40 steps of spikes at a fixed voltage, with the weights
    w + a·d (w uniform, d normal)."""
    w = jax.random.uniform(jax.random.PRNGKey(0), SHAPE)
    d = jax.random.normal(jax.random.PRNGKey(1), SHAPE)
    synapse = KINDS[name].make(*times, w + a * d)
    inputs = KINDS[name].cls.Inputs(_SPIKES, _V)
    _, states = contract.run_steps(synapse, synapse.init_state(), inputs, None, 0.5)
    return jnp.sum(states.outputs) / 100.0


# (synapse, its time constants from the one varied, the varied one's range)
TIME_CONSTANTS = {
    "ExponentialSynapse-tau_decay": ("ExponentialSynapse", lambda t: (t,), (1.0, 30.0)),
    "AlphaSynapse-tau_decay": ("AlphaSynapse", lambda t: (t,), (1.0, 30.0)),
    "DoubleExpSynapse-tau_decay": ("DoubleExpSynapse", lambda t: (t, 1.0), (3.0, 30.0)),
    "DoubleExpSynapse-tau_rise": ("DoubleExpSynapse", lambda t: (5.0, t), (0.2, 2.5)),
}


@pytest.mark.parametrize("case", sorted(TIME_CONSTANTS))
@given(data=st.data())
def test_gradient_wrt_a_time_constant_matches_finite_difference(case, data):
    name, times, (low, high) = TIME_CONSTANTS[case]
    tau = data.draw(st.floats(low, high))
    contract.assert_grad_matches_finite_difference(lambda t: _loss(name, times(t), 0.0), tau)


@pytest.mark.parametrize("name", NAMES)
@given(a=st.floats(-1.0, 1.0))
def test_gradient_wrt_weights_matches_finite_difference(name, a):
    times = KINDS[name].times
    contract.assert_grad_matches_finite_difference(lambda b: _loss(name, times, b), a)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("inputs", jnp.ones(N_OUT), (N_IN,)),
        ("v", jnp.ones(N_IN), (N_OUT,)),
    ],
)
def test_wrong_input_shape_raises_at_trace_time(name, field, value, expected):
    """Shapes of another size (a leading batch axis: tests/test_contract.py)."""
    kind = KINDS[name]
    synapse = kind.cls(**kind.good)
    good = {"inputs": jnp.ones(N_IN), "v": jnp.ones(N_OUT)}
    good[field] = value
    pattern = re.escape(f"{name}.step: input `{field}` must have shape {expected}, got")
    with pytest.raises(ValueError, match=pattern):
        jax.jit(lambda s: synapse.step(s, kind.cls.Inputs(**good), None, 1.0))(synapse.init_state())


@pytest.mark.parametrize("name", NAMES)
def test_missing_voltage_raises_when_a_reversal_potential_is_set(name):
    kind = KINDS[name]
    synapse = kind.cls(**kind.good)
    with pytest.raises(ValueError, match=rf"{name}.step: input `v`"):
        synapse.step(synapse.init_state(), kind.cls.Inputs(jnp.ones(N_IN)), None, 1.0)
