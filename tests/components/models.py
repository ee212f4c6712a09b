"""Registry entries of the models (`dynax.models`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax
from dynax.initializers import uniform

N = 4  # the examples' sizes, as the checkpoint round trips
ONES, SPIKES, POST = jnp.ones(N), jnp.array([1.0, 0.0, 1.0, 1.0]), jnp.array([0.0, 1.0, 1.0])


def _seed(draw) -> int:
    return draw(st.integers(0, 2**31 - 1))


# ---------------------------------------------------------------- PredictiveCodingNetwork

PCN_SIZES = (6, 8, 5, 3)  # two hidden layers
PCN_WIDE = ("uniform", {"low": -0.5, "high": 0.5})


@st.composite
def _pcn_networks(draw):
    return dynax.PredictiveCodingNetwork(
        PCN_SIZES,
        act_fx="tanh",
        weight_init=PCN_WIDE,
        tie_feedback=draw(st.booleans()),
        key=jax.random.key(draw(st.integers(0, 1000))),
    )


def _pcn_inputs(net, draw):
    """An input of N(0, 1)'s range and a one-hot target."""
    x = draw(vector(net.sizes[0], -3.0, 3.0))
    y = jax.nn.one_hot(draw(st.integers(0, net.sizes[-1] - 1)), net.sizes[-1])
    return dynax.PredictiveCodingNetwork.Inputs(x, y)


def _pcn_finite_run(net, draw):
    """An input and a target uniform in [−1e3, 1e3], clamped (inference relaxes towards
    them: a new random image every step drives the saturated tanh layers far from any
    equilibrium, where the derivative of the relaxation grows without bound), at a dt inside
    the hidden layers' stable domain (τ_m = 10, Σ = 1: dt < 20)."""
    keys = jax.random.split(jax.random.key(_seed(draw)), 2)
    x = jax.random.uniform(keys[0], (net.sizes[0],), minval=-1e3, maxval=1e3)
    y = jax.random.uniform(keys[1], (net.sizes[-1],), minval=-1e3, maxval=1e3)
    inputs = dynax.PredictiveCodingNetwork.Inputs(jnp.tile(x, (1000, 1)), jnp.tile(y, (1000, 1)))
    return inputs, draw(st.floats(0.01, 1.0))


PCN = Component(
    example=lambda key: dynax.PredictiveCodingNetwork((N, 5, 3), key=key),
    example_inputs=lambda net: dynax.PredictiveCodingNetwork.Inputs(x=SPIKES, y=POST),
    cells=_pcn_networks(),
    # latents at the bottom-up prediction of a drawn input: the usual start of inference
    state=lambda net, draw: net.feedforward_state(draw(vector(net.sizes[0], -3.0, 3.0))),
    inputs=_pcn_inputs,
    finite_run=_pcn_finite_run,
    bad_arguments=(
        ({"sizes": (4, 3)}, "sizes"),
        ({"sizes": (4, 0, 3)}, r"sizes\[1\]"),
        ({"sizes": (4, 5, 3), "act_fx": "nope"}, "act_fx"),
        ({"sizes": (4, 5, 3), "tau_m": -1.0}, "tau_m"),
        ({"sizes": (4, 5, 3), "sigma": 0.0}, "sigma"),
    ),
    build=lambda **kwargs: dynax.PredictiveCodingNetwork(key=jax.random.key(0), **kwargs),
)


# ---------------------------------------------------------------- RecurrentSpikingNetwork

RSN_N, RSN_N_IN = 12, 5


@st.composite
def _rsn_networks(draw):
    """Strong STP recurrence (weights U(0, 2)), both resource modes, an input projection."""
    keys = jax.random.split(jax.random.key(draw(st.integers(0, 1000))), 2)
    recurrent = dynax.STPDenseSynapse(
        (RSN_N, RSN_N),
        weight_init=uniform(0.0, 2.0),
        presynaptic=draw(st.booleans()),
        key=keys[0],
    )
    return dynax.RecurrentSpikingNetwork(RSN_N, RSN_N_IN, recurrent=recurrent, key=keys[1])


@eqx.filter_jit
def _rsn_run(net, inputs):
    return dynax.simulate(net, net.init_state(), inputs, dt=0.5)[0]


def _rsn_warm_state(net, draw):
    """The state after 30 steps (dt = 0.5) of a drive that makes the population spike."""
    x = jax.random.uniform(jax.random.key(_seed(draw)), (30, RSN_N_IN)) * 20.0
    current = jnp.linspace(10.0, 30.0, RSN_N) * jnp.ones((30, RSN_N))
    return _rsn_run(net, dynax.RecurrentSpikingNetwork.Inputs(x=x, current=current))


def _rsn_finite_run(net, draw):
    """The projected input and the external current uniform in [−1e3, 1e3]."""
    keys = jax.random.split(jax.random.key(_seed(draw)), 2)
    x = jax.random.uniform(keys[0], (1000, RSN_N_IN), minval=-1e3, maxval=1e3)
    current = jax.random.uniform(keys[1], (1000, RSN_N), minval=-1e3, maxval=1e3)
    return dynax.RecurrentSpikingNetwork.Inputs(x=x, current=current), 0.5


RSN = Component(
    example=lambda key: dynax.RecurrentSpikingNetwork(N, key=key),
    example_inputs=lambda net: dynax.RecurrentSpikingNetwork.Inputs(current=25 * ONES),
    cells=_rsn_networks(),
    state=_rsn_warm_state,
    finite_run=_rsn_finite_run,
    inputs=lambda net, draw: dynax.RecurrentSpikingNetwork.Inputs(
        x=draw(vector(RSN_N_IN, 0.0, 20.0)), current=draw(vector(RSN_N, 0.0, 30.0))
    ),
    # the AdEx population's exponential upswing amplifies a last-ulp difference of a fused step
    rtol=1e-5,
    atol=1e-5,
    bad_arguments=(
        ({"n_units": 0}, "n_units"),
        ({"n_units": 4, "n_inputs": -1}, "n_inputs"),
        ({"n_units": 4, "key": None}, "key"),
        (
            {"n_units": 4, "recurrent": dynax.STPDenseSynapse((4, 3), key=jax.random.key(0))},
            "recurrent",
        ),
        (
            {
                "n_units": 4,
                "n_inputs": 2,
                "input_projection": dynax.DenseSynapse((3, 4), key=jax.random.key(0)),
            },
            "input_projection",
        ),
        ({"n_units": 4, "cell": dynax.AdExCell(5)}, r"`cell` must have n_units=4"),
        ({"n_units": 4, "cell": dynax.RateCell(4, 1.0)}, r"`cell` must be a spiking cell"),
    ),
    build=lambda **kwargs: dynax.RecurrentSpikingNetwork(**{"key": jax.random.key(0), **kwargs}),
)


# ---------------------------------------------------------------- EINetwork

EI_N = 10  # 8 excitatory, 2 inhibitory; delays of 2 steps put the synapses' rings in the state


def _ei_network(key, connection="fixed_probability", model="coba"):
    return getattr(dynax.EINetwork, model)(key, EI_N, in_degree=4, connection=connection, delay=2)


def _ei_networks(models=("coba", "cuba")):
    """The benchmarks `models`, on stored and on procedural connectivity."""

    @st.composite
    def networks(draw):
        connection = draw(st.sampled_from(["fixed_probability", "procedural"]))
        model = draw(st.sampled_from(models))
        return _ei_network(jax.random.key(draw(st.integers(0, 1000))), connection, model)

    return networks()


@eqx.filter_jit
def _ei_run(net, state, current):
    return dynax.simulate(net, state, dynax.EINetwork.Inputs(current=current), dt=0.1)[0]


def _ei_warm_state(net, draw):
    """The state after 50 steps from random voltages under a drive that makes cells spike."""
    key = jax.random.key(_seed(draw))
    return _ei_run(net, net.init_state(key=key), jnp.full((50, EI_N), 30.0))


def _ei_finite_run(net, draw):
    """External currents uniform in [−1e3, 1e3]."""
    key = jax.random.key(_seed(draw))
    return dynax.EINetwork.Inputs(
        current=jax.random.uniform(key, (1000, EI_N), minval=-1e3, maxval=1e3)
    ), 0.1


EI = Component(
    example=_ei_network,
    example_inputs=lambda net: dynax.EINetwork.Inputs(current=jnp.full((EI_N,), 30.0)),
    cells=_ei_networks(),
    # COBA's derivative through a spike and back, w·(dt/τ_m)·|E − v|·σ′, exceeds 1 once the
    # long run's ±1e3 mV drives put |E − v| in the hundreds: the exact derivative of 10⁴ steps
    # grows past float32 (1e27 after 10³ steps), a property of the model. CUBA's loop gain
    # does not depend on v (9·0.005·σ′ < 1): its gradient must stay finite.
    gradient_cells=_ei_networks(("cuba",)),
    state=_ei_warm_state,
    inputs=lambda net, draw: dynax.EINetwork.Inputs(current=draw(vector(EI_N, 0.0, 40.0))),
    dt=st.sampled_from([0.05, 0.1]),
    finite_run=_ei_finite_run,
    rtol=1e-5,  # conductances times voltages: last-ulp differences of another fusion
    atol=1e-5,
    bad_arguments=(
        ({"n_units": 1}, "n_units"),
        ({"in_degree": 0}, "in_degree"),
        ({"connection": "all"}, "connection"),
        ({"delay": -1}, "delay"),
    ),
    build=lambda **kwargs: dynax.EINetwork.coba(jax.random.key(0), **{"n_units": EI_N, **kwargs}),
    drawn_structure=r"fixed_probability: `key` must be a concrete key",
)


COMPONENTS = {
    "EINetwork": EI,
    "PredictiveCodingNetwork": PCN,
    "RecurrentSpikingNetwork": RSN,
}
