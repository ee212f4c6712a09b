"""Registry entries of the synapses (`dynax.synapses`).

The strategies of valid synapses are public: the synapses' own test files draw from them too.
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax

SHAPE = (4, 3)  # the examples' (n_in, n_out), as the checkpoint round trips
N_IN, N_OUT = SHAPE
ONES, SPIKES, POST = jnp.ones(N_IN), jnp.array([1.0, 0.0, 1.0, 1.0]), jnp.array([0.0, 1.0, 1.0])


def _seed(draw) -> int:
    return draw(st.integers(0, 2**31 - 1))


def spike_vector(n: int) -> st.SearchStrategy:
    """`(n,)` float32 arrays of 0s and 1s."""
    return st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n).map(
        lambda v: jnp.asarray(v, jnp.float32)
    )


def _conductance_inputs(cls):
    """The example inputs of a conductance synapse: spikes and a membrane voltage."""
    return lambda synapse: cls.Inputs(inputs=SPIKES, v=jnp.full(N_OUT, -60.0))


def _conductance_finite_run(cls):
    """1000 steps of presynaptic inputs and voltages uniform in [−1e3, 1e3], at dt = 1."""

    def finite_run(synapse, draw):
        keys = jax.random.split(jax.random.key(_seed(draw)))
        x = jax.random.uniform(keys[0], (1000, synapse.n_in), minval=-1e3, maxval=1e3)
        v = jax.random.uniform(keys[1], (1000, synapse.n_out), minval=-1e3, maxval=1e3)
        return cls.Inputs(x, v), 1.0

    return finite_run


def _conductance_inputs_drawn(cls):
    """Inputs and voltages in [−1e3, 1e3]."""
    return lambda synapse, draw: cls.Inputs(
        draw(vector(synapse.n_in, -1e3, 1e3)), draw(vector(synapse.n_out, -1e3, 1e3))
    )


# ---------------------------------------------------------------- DenseSynapse

DENSE_SHAPE = (5, 3)  # of the drawn synapses and the bad arguments (the example's: SHAPE)


@st.composite
def dense_synapses(draw):
    """Two structures only (everything on, or a plain cable with delays), so that jit caches
    are reused across examples; the values vary."""
    full = draw(st.booleans())
    return dynax.DenseSynapse(
        DENSE_SHAPE,
        draw(st.sampled_from([None, ("gaussian", {"std": 0.5}), "fan_in_uniform"])),
        ("uniform", {"low": -0.1, "high": 0.1}) if full else None,
        g_conduct_factor=draw(st.floats(0.1, 3.0)),
        p_release_mean=draw(st.floats(0.2, 0.8)) if full else 1.0,
        p_conn=draw(st.floats(0.3, 0.9)) if full else 1.0,
        max_delay_steps=3,
        key=jax.random.PRNGKey(_seed(draw)),
    )


def _dense_warm_state(synapse, draw):
    """A state with a filled delay buffer (three steps of input in [−10, 10])."""
    state = synapse.init_state()
    for k in range(3):
        row = draw(vector(synapse.n_in, -10.0, 10.0))
        state = synapse.step(state, dynax.DenseSynapse.Inputs(row), jax.random.PRNGKey(k), 1.0)
    return state


def _dense_finite_run(synapse, draw):
    key = jax.random.key(_seed(draw))
    x = jax.random.uniform(key, (1000, synapse.n_in), minval=-1e3, maxval=1e3)
    return type(synapse).Inputs(x), 1.0


_DENSE_BASE = jax.random.normal(jax.random.PRNGKey(0), SHAPE)
_W = jnp.ones(DENSE_SHAPE)

DENSE = Component(
    example=lambda key: dynax.DenseSynapse(SHAPE, key=key),
    example_inputs=lambda synapse: dynax.DenseSynapse.Inputs(SPIKES),
    cells=dense_synapses(),
    state=_dense_warm_state,
    # with a gate (the path without one: the example's inputs)
    inputs=lambda synapse, draw: dynax.DenseSynapse.Inputs(
        draw(vector(synapse.n_in, -10.0, 10.0)), draw(vector(synapse.n_out, -10.0, 10.0))
    ),
    # stochastic release (p_release_mean < 1) draws with the key
    random=True,
    retrace=(
        lambda a: dynax.DenseSynapse(SHAPE, _DENSE_BASE * a, g_conduct_factor=a),
        (0.5, 1.0, 2.0),
    ),
    finite_run=_dense_finite_run,
    bad_arguments=(
        ({"shape": (0, 3)}, "shape"),
        ({"shape": (5,)}, "shape"),
        ({"shape": (5, 2.0)}, "shape"),
        ({"shape": DENSE_SHAPE, "weight_init": jnp.ones((3, 5))}, "weight_init"),
        ({"shape": DENSE_SHAPE, "weight_init": ("student", {})}, "weight_init"),
        ({"shape": DENSE_SHAPE, "weight_init": jnp.full(DENSE_SHAPE, jnp.nan)}, "weight_init"),
        ({"shape": DENSE_SHAPE}, "key"),
        ({"shape": DENSE_SHAPE, "weight_init": _W, "bias_init": jnp.ones(5)}, "bias_init"),
        (
            {"shape": DENSE_SHAPE, "weight_init": _W, "g_conduct_factor": jnp.ones(5)},
            "g_conduct_factor",
        ),
        (
            {"shape": DENSE_SHAPE, "weight_init": _W, "g_conduct_factor": jnp.inf},
            "g_conduct_factor",
        ),
        ({"shape": DENSE_SHAPE, "weight_init": _W, "p_conn": 1.5}, "p_conn"),
        ({"shape": DENSE_SHAPE, "weight_init": _W, "p_conn": -0.1}, "p_conn"),
        ({"shape": DENSE_SHAPE, "weight_init": _W, "p_release_mean": 1.2}, "p_release_mean"),
        (
            {"shape": DENSE_SHAPE, "weight_init": _W, "p_release_mean": jnp.ones(3)},
            "p_release_mean",
        ),
        ({"shape": DENSE_SHAPE, "weight_init": _W, "max_delay_steps": -1}, "max_delay_steps"),
        ({"shape": DENSE_SHAPE, "weight_init": _W, "max_delay_steps": 1.5}, "max_delay_steps"),
        ({"shape": DENSE_SHAPE, "weight_init": _W, "mask": jnp.ones((5, 1))}, "mask"),
        (
            {"shape": DENSE_SHAPE, "weight_init": _W, "mask": ("constant", {"value": 1.0})},
            "mask",
        ),
        (
            {
                "shape": DENSE_SHAPE,
                "weight_init": _W,
                "max_delay_steps": 2,
                "delays": [0, 1, -1, 0, 0],
            },
            "delays",
        ),
        (
            {
                "shape": DENSE_SHAPE,
                "weight_init": _W,
                "max_delay_steps": 2,
                "delays": [0, 1, 3, 0, 0],
            },
            "delays",
        ),
        (
            {
                "shape": DENSE_SHAPE,
                "weight_init": _W,
                "max_delay_steps": 2,
                "delays": [0, 0.5, 1, 0, 0],
            },
            "delays",
        ),
        (
            {"shape": DENSE_SHAPE, "weight_init": _W, "max_delay_steps": 2, "delays": [0, 1]},
            "delays",
        ),
        (
            {
                "shape": DENSE_SHAPE,
                "weight_init": _W,
                "g_conduct_factor": 2.0,
                "resist_scale": 3.0,
            },
            "resist_scale",
        ),
    ),
    kwargs={"shape": (4, 3), "key": jax.random.key(0)},
)

# ngclearn's name for a non-learning DenseSynapse: the same class, its own entry
STATIC = dataclasses.replace(
    DENSE,
    example=lambda key: dynax.StaticSynapse(SHAPE, key=key),
    example_inputs=lambda synapse: dynax.StaticSynapse.Inputs(SPIKES),
)


# ---------------------------------------------------------------- STPDenseSynapse


@st.composite
def stp_synapses(draw):
    """Non-square on purpose (the reference only runs square weights); both resource modes."""
    presynaptic = draw(st.booleans())
    shape = (N_IN,) if presynaptic else SHAPE
    key = jax.random.PRNGKey(_seed(draw))
    return dynax.STPDenseSynapse(
        SHAPE,
        ("gaussian", {"std": 0.5}),
        ("uniform", {"low": -0.1, "high": 0.1}),
        g_conduct_factor=draw(st.floats(0.1, 3.0)),
        tau_f=draw(st.sampled_from([0.0, 3.0, 750.0])),
        tau_d=draw(st.sampled_from([0.0, 2.0, 50.0])),
        resources_init=jax.random.uniform(jax.random.fold_in(key, 1), shape),
        decay=draw(st.sampled_from(["linear", "exponential"])),
        key=key,
    )


def _stp_warm_state(synapse, draw):
    """Two steps of drawn spikes."""
    state = synapse.init_state()
    for _ in range(2):
        row = draw(spike_vector(synapse.n_in))
        state = _stp_step(synapse, state, dynax.STPDenseSynapse.Inputs(row))
    return state


@eqx.filter_jit
def _stp_step(synapse, state, inputs):
    return synapse.step(state, inputs, None, 1.0)


def _stp_finite_run(synapse, draw):
    """Inputs uniform in [−1e3, 1e3] (the gate of u, x is the input clipped to [0, 1]) or
    binary spikes, at dt = 1 (≤ τ for the linear decay)."""
    x = jax.random.uniform(
        jax.random.key(_seed(draw)), (1000, synapse.n_in), minval=-1e3, maxval=1e3
    )
    x = x if draw(st.booleans()) else (x < 0.3).astype(jnp.float32)
    return dynax.STPDenseSynapse.Inputs(x), 1.0


_STP_W = jnp.ones(SHAPE)
_STP_U = jnp.full(N_IN, 0.2)

STP = Component(
    example=lambda key: dynax.STPDenseSynapse(SHAPE, key=key),
    example_inputs=lambda synapse: dynax.STPDenseSynapse.Inputs(SPIKES),
    cells=stp_synapses(),
    state=_stp_warm_state,
    inputs=lambda synapse, draw: dynax.STPDenseSynapse.Inputs(draw(spike_vector(synapse.n_in))),
    dt=st.floats(0.1, 1.0),
    retrace=(
        lambda tau: dynax.STPDenseSynapse(
            SHAPE, _STP_W * tau, tau_f=tau, tau_d=tau * 2, resources_init=jnp.full(N_IN, 0.3)
        ),
        (0.0, 5.0, 50.0),
    ),
    finite_run=_stp_finite_run,
    bad_arguments=(
        ({"shape": (4, 0)}, "shape"),
        ({"shape": SHAPE, "weight_init": jnp.ones((3, 4))}, "weight_init"),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": jnp.full((N_OUT,), 0.2)},
            "resources_init",
        ),
        (
            {
                "shape": SHAPE,
                "weight_init": _STP_W,
                "resources_init": jnp.full((N_OUT, N_IN), 0.2),
            },
            "resources_init",
        ),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": jnp.full(SHAPE, 1.2)},
            "resources_init",
        ),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": jnp.full(SHAPE, -0.1)},
            "resources_init",
        ),
        (
            {
                "shape": SHAPE,
                "weight_init": _STP_W,
                "resources_init": jnp.full(SHAPE, 0.2),
                "presynaptic": True,
            },
            "resources_init",
        ),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": _STP_U, "presynaptic": 1},
            "presynaptic",
        ),
        ({"shape": SHAPE, "weight_init": _STP_W}, "key"),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": _STP_U, "tau_f": -1.0},
            "tau_f",
        ),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": _STP_U, "tau_d": -1.0},
            "tau_d",
        ),
        (
            {
                "shape": SHAPE,
                "weight_init": _STP_W,
                "resources_init": _STP_U,
                "tau_d": jnp.ones(SHAPE),
            },
            "tau_d",
        ),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": _STP_U, "decay": "exact"},
            "decay",
        ),
        (
            {"shape": SHAPE, "weight_init": _STP_W, "resources_init": _STP_U, "p_conn": 2.0},
            "p_conn",
        ),
        (
            {
                "shape": SHAPE,
                "weight_init": _STP_W,
                "resources_init": _STP_U,
                "mask": jnp.ones(N_IN),
            },
            "mask",
        ),
        (
            {
                "shape": SHAPE,
                "weight_init": _STP_W,
                "resources_init": _STP_U,
                "g_conduct_factor": jnp.ones(N_IN),
            },
            "g_conduct_factor",
        ),
        (
            {
                "shape": SHAPE,
                "weight_init": _STP_W,
                "resources_init": _STP_U,
                "skip_silent_steps": "yes",
            },
            r"`skip_silent_steps` must be a bool, got 'yes'",
        ),
    ),
    kwargs={"shape": (4, 3), "key": jax.random.key(0)},
)


# ---------------------------------------------------------------- HebbianSynapse


@st.composite
def hebbian_synapses(draw, optim_type="adam", is_nonnegative=False, mask=None):
    """Random values of every array parameter; the structure (static fields) is fixed per call
    so that the jit caches are reused across examples."""
    return dynax.HebbianSynapse(
        SHAPE,
        eta=draw(st.floats(0.0, 0.5)),
        weight_init=("uniform", {"low": -0.4, "high": 0.4}),
        bias_init=("constant", {"value": 0.1}),
        w_bound=draw(st.sampled_from([0.0, 0.5, 1.0])),
        is_nonnegative=is_nonnegative,
        prior=("l1l2", (draw(st.floats(0.0, 0.1)), draw(st.floats(0.0, 1.0)))),
        sign_value=draw(st.sampled_from([1.0, -1.0])),
        optim_type=optim_type,
        pre_wght=draw(st.floats(0.1, 2.0)),
        post_wght=draw(st.floats(0.1, 2.0)),
        mask=mask,
        key=jax.random.key(draw(st.integers(0, 1000))),
    )


HEBBIAN = Component(
    example=lambda key: dynax.HebbianSynapse(SHAPE, key=key),
    example_inputs=lambda synapse: dynax.HebbianSynapse.Inputs(SPIKES),
    cells=hebbian_synapses(),
    inputs=lambda synapse, draw: dynax.HebbianSynapse.Inputs(
        draw(vector(synapse.n_in, -10.0, 10.0))
    ),
    bad_arguments=(
        ({"shape": (0, 3)}, "shape"),
        ({"eta": 0.1, "optim_type": optax.sgd(0.1)}, "eta"),
        ({"optim_type": "rmsprop"}, "optim_type"),
        ({"optim_type": 3}, "optim_type"),
        ({"w_decay": -0.1}, "w_decay"),
        ({"w_decay": 0.1, "prior": ("l1", 0.1)}, "w_decay"),
        ({"prior": ("student", 0.1)}, "prior"),
        ({"prior": ("L2", -0.1)}, "prior"),
        ({"prior": "l2"}, "prior"),
        ({"prior": ("l1l2", 0.1)}, "prior"),
        ({"prior": ("elastic_net", (0.1, 1.5))}, "l1_ratio"),
        ({"prior": ("l2", (0.1, 0.5))}, "prior"),
        ({"p_conn": 1.5}, "p_conn"),
    ),
    build=lambda **kwargs: dynax.HebbianSynapse(
        **{"shape": SHAPE, "key": jax.random.key(0), **kwargs}
    ),
    finite_run=_dense_finite_run,
    kwargs={},
)


# ---------------------------------------------------------------- TraceSTDPSynapse


@st.composite
def trace_stdp_synapses(draw, weight_mask=None, low=0.0, high=1.0):
    return dynax.TraceSTDPSynapse(
        SHAPE,
        A_plus=draw(st.floats(0.0, 1.0)),
        A_minus=draw(st.floats(0.0, 1.0)),
        eta=draw(st.floats(0.0, 2.0)),
        mu=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])),
        pretrace_target=draw(st.floats(0.0, 0.5)),
        weight_init=("uniform", {"low": low, "high": high}),
        w_bound=draw(st.sampled_from([0.5, 1.0, 2.0])),
        tau_w=draw(st.sampled_from([0.0, 5.0, 100.0])),
        weight_mask=weight_mask,
        key=jax.random.key(draw(st.integers(0, 1000))),
    )


TRACE_STDP = Component(
    example=lambda key: dynax.TraceSTDPSynapse(SHAPE, 0.01, 0.005, key=key),
    example_inputs=lambda synapse: dynax.TraceSTDPSynapse.Inputs(SPIKES),
    cells=trace_stdp_synapses(),
    inputs=lambda synapse, draw: dynax.TraceSTDPSynapse.Inputs(draw(spike_vector(synapse.n_in))),
    bad_arguments=(
        ({"shape": (3,)}, "shape"),
        ({"weight_mask": jnp.ones((3, 4))}, "weight_mask"),
        ({"p_conn": -0.2}, "p_conn"),
    ),
    build=lambda **kwargs: dynax.TraceSTDPSynapse(
        **{"shape": SHAPE, "A_plus": 0.1, "A_minus": 0.05, "key": jax.random.key(0), **kwargs}
    ),
    finite_run=_dense_finite_run,
    kwargs={},
)


# ---------------------------------------------------------------- OnlineTraceSTDPSynapse


def _online_inputs(cell, draw):
    """Spikes in {0, 1} and traces in [0, 1]."""
    return dynax.OnlineTraceSTDPSynapse.Inputs(
        inputs=draw(spike_vector(cell.n_in)),
        post_spike=draw(spike_vector(cell.n_out)),
        pre_trace=draw(vector(cell.n_in, 0.0, 1.0)),
        post_trace=draw(vector(cell.n_out, 0.0, 1.0)),
    )


def _online_finite_run(cell, draw):
    """Every signal uniform in [−1e3, 1e3]: the weights stay clipped to [0, w_bound]."""
    keys = jax.random.split(jax.random.key(_seed(draw)), 4)
    sizes = (cell.n_in, cell.n_out, cell.n_in, cell.n_out)
    signals = [
        jax.random.uniform(k, (1000, n), minval=-1e3, maxval=1e3)
        for k, n in zip(keys, sizes, strict=True)
    ]
    return dynax.OnlineTraceSTDPSynapse.Inputs(*signals), 1.0


ONLINE_TRACE_STDP = Component(
    example=lambda key: dynax.OnlineTraceSTDPSynapse(
        dynax.TraceSTDPSynapse(SHAPE, 0.01, 0.005, key=key)
    ),
    example_inputs=lambda cell: dynax.OnlineTraceSTDPSynapse.Inputs(
        inputs=SPIKES, post_spike=POST, pre_trace=0.5 * ONES, post_trace=POST
    ),
    cells=trace_stdp_synapses().map(dynax.OnlineTraceSTDPSynapse),
    inputs=_online_inputs,
    finite_run=_online_finite_run,
    bad_arguments=(({"synapse": object()}, "synapse"),),
)


# ---------------------------------------------------------------- conductance synapses

# ExponentialSynapse, AlphaSynapse and DoubleExpSynapse: a conductance g driven by spikes
# through the weights, and the current g·(v − E_syn) it sets.


def _conductance_synapses(cls, time_constants):
    """Drawn synapses of `cls`: the time constants `time_constants(draw)` (a tuple), then
    ḡ, E_syn, uniform weights, the conductance factor and both decays."""

    @st.composite
    def synapses(draw):
        return cls(
            SHAPE,
            *time_constants(draw),
            draw(st.floats(0.0, 2.0)),
            draw(st.floats(-80.0, 0.0)),
            jax.random.uniform(jax.random.PRNGKey(_seed(draw)), SHAPE),
            g_conduct_factor=draw(st.floats(0.1, 3.0)),
            decay=draw(st.sampled_from(["linear", "exponential"])),
        )

    return synapses


def _decay_time(draw):
    """τ_decay in [1, 50]."""
    return (draw(st.floats(1.0, 50.0)),)


def _decay_and_rise_times(draw):
    """τ_rise in [1, 10], τ_decay 1.2 to 10 times longer."""
    tau_r = draw(st.floats(1.0, 10.0))
    return tau_r * draw(st.floats(1.2, 10.0)), tau_r


exponential_synapses = _conductance_synapses(dynax.ExponentialSynapse, _decay_time)
alpha_synapses = _conductance_synapses(dynax.AlphaSynapse, _decay_time)
double_exp_synapses = _conductance_synapses(dynax.DoubleExpSynapse, _decay_and_rise_times)


def _conductance(cls, good, **fields):
    """The entry of a conductance synapse: the example `cls(**good)`, its inputs spikes and a
    membrane voltage, drawn inputs and voltages in [−1e3, 1e3] (and so the long run's), the
    bad arguments built from `good`; `fields`: the rest of the `Component`."""
    return Component(
        example=lambda key: cls(**good, key=key),
        example_inputs=_conductance_inputs(cls),
        inputs=_conductance_inputs_drawn(cls),
        finite_run=_conductance_finite_run(cls),
        build=lambda **kwargs: cls(**{**good, **kwargs}),
        kwargs={},
        **fields,
    )


_ONE_STAGE_GOOD = {"shape": SHAPE, "tau_decay": 5.0, "g_syn_bar": 0.5, "syn_rest": 0.0}


def _exponential_state(synapse, draw):
    g = draw(vector(synapse.n_out, -1e3, 1e3))
    return dynax.ExponentialSynapse.State(g_syn=g, i_syn=-g, outputs=-g)


EXPONENTIAL = _conductance(
    dynax.ExponentialSynapse,
    _ONE_STAGE_GOOD,
    cells=exponential_synapses(),
    state=_exponential_state,
    # conductances and voltages up to 1e3 give currents g·(v − E) up to ~1e6, rounded
    # differently by another fusion: 1e-5 relative (the old jit check; its vmap check had
    # atol 1e-3, the stricter 1e-6 holds)
    rtol=1e-5,
    retrace=(
        lambda a: dynax.ExponentialSynapse(SHAPE, 5.0 * a, 0.5 * a, -70.0 * a, jnp.ones(SHAPE) * a),
        (0.5, 1.0, 2.0),
    ),
    bad_arguments=(
        ({"shape": (0, 3)}, "shape"),
        ({"weight_init": jnp.ones((N_OUT, N_IN))}, "weight_init"),
        ({"weight_init": "uniform"}, "key"),
        ({"p_conn": 1.5}, "p_conn"),
        ({"p_conn": -0.5}, "p_conn"),
        ({"mask": jnp.ones((N_IN, 1))}, "mask"),
        ({"g_conduct_factor": 2.0, "resist_scale": 3.0}, "resist_scale"),
    ),
)


# h and g up to 1e3 feed g⁺ = a·g + c·h⁺ and the current g⁺·(v − E) with v up to 1e3: a value
# near 0 is a difference of terms ~1e6, whose last-ulp rounding depends on the fusion: 1e-5
# relative, 1e-3 absolute (the old jit check; its vmap check had atol 1e-2, the stricter 1e-3
# holds)
_TWO_STAGE_RTOL, _TWO_STAGE_ATOL = 1e-5, 1e-3


def _two_stage_state(cls):
    def state(synapse, draw):
        h = draw(vector(synapse.n_out, -1e3, 1e3))
        g = draw(vector(synapse.n_out, -1e3, 1e3))
        return cls.State(h_syn=h, g_syn=g, i_syn=-g, outputs=-g)

    return state


ALPHA = _conductance(
    dynax.AlphaSynapse,
    _ONE_STAGE_GOOD,
    cells=alpha_synapses(),
    state=_two_stage_state(dynax.AlphaSynapse),
    rtol=_TWO_STAGE_RTOL,
    atol=_TWO_STAGE_ATOL,
    retrace=(
        lambda a: dynax.AlphaSynapse(SHAPE, 5.0 * a, 0.5 * a, -70.0 * a, jnp.ones(SHAPE) * a),
        (0.5, 1.0, 2.0),
    ),
    bad_arguments=(
        ({"shape": (3,)}, "shape"),
        ({"weight_init": jnp.ones((N_OUT, N_IN))}, "weight_init"),
        ({"p_conn": 1.01}, "p_conn"),
        ({"mask": jnp.ones(N_OUT)}, "mask"),
        ({"decay": "rk4"}, "decay"),
        ({"g_conduct_factor": 2.0, "resist_scale": 3.0}, "resist_scale"),
    ),
)


DOUBLE_EXP = _conductance(
    dynax.DoubleExpSynapse,
    {**_ONE_STAGE_GOOD, "tau_rise": 1.0},
    cells=double_exp_synapses(),
    state=_two_stage_state(dynax.DoubleExpSynapse),
    rtol=_TWO_STAGE_RTOL,
    atol=_TWO_STAGE_ATOL,
    retrace=(
        lambda a: dynax.DoubleExpSynapse(
            SHAPE, 5.0 * a, 1.0 * a, 0.5 * a, -70.0 * a, jnp.ones(SHAPE) * a
        ),
        (0.5, 1.0, 2.0),
    ),
    bad_arguments=(
        ({"shape": (3, -1)}, "shape"),
        ({"tau_rise": 0.0}, "tau_rise"),
        ({"tau_rise": 5.0}, "tau_rise"),
        ({"tau_rise": 7.0}, "tau_rise"),
        ({"tau_rise": jnp.array([1.0, 6.0, 1.0])}, "tau_rise"),
        ({"tau_rise": jnp.ones(N_IN)}, "tau_rise"),
        ({"syn_rest": jnp.ones((N_OUT, 1))}, "syn_rest"),
        ({"weight_init": jnp.ones((N_IN, N_IN))}, "weight_init"),
        ({"p_conn": -1.0}, "p_conn"),
        ({"mask": jnp.ones((N_OUT, N_IN))}, "mask"),
        ({"decay": "euler"}, "decay"),
        ({"g_conduct_factor": 2.0, "resist_scale": 3.0}, "resist_scale"),
    ),
)


# ExponentialSynapse on a sparse connectivity with per-synapse delays: the conductance entry,
# its ring of arrivals in the state (a repeated pair, a silent row, delays 0 to 3).
DELAYED_CONNECTIVITY = dynax.connectivity.from_connections(
    [0, 0, 2, 3, 3, 3], [1, 1, 0, 2, 0, 1], N_IN, N_OUT, [0.5, 1.0, 2.0, 0.3, 1.5, 0.7],
    delays=[0, 3, 1, 2, 0, 1],
)  # fmt: skip
_DELAYED_GOOD = {**_ONE_STAGE_GOOD, "shape": None, "connectivity": DELAYED_CONNECTIVITY}


@st.composite
def _delayed_exponential_synapses(draw):
    return dynax.ExponentialSynapse(
        None,
        draw(st.floats(1.0, 50.0)),
        draw(st.floats(0.0, 2.0)),
        draw(st.floats(-80.0, 0.0)),
        g_conduct_factor=draw(st.floats(0.1, 3.0)),
        decay=draw(st.sampled_from(["linear", "exponential"])),
        connectivity=DELAYED_CONNECTIVITY,
    )


EXPONENTIAL_DELAYED = _conductance(
    dynax.ExponentialSynapse,
    _DELAYED_GOOD,
    cells=_delayed_exponential_synapses(),
    rtol=1e-5,  # as the dense entry's
    retrace=(
        lambda a: dynax.ExponentialSynapse(
            None, 5.0 * a, 0.5 * a, -70.0 * a, connectivity=DELAYED_CONNECTIVITY
        ),
        (0.5, 1.0, 2.0),
    ),
    bad_arguments=(
        ({"shape": SHAPE[::-1]}, "shape"),
        ({"weight_init": jnp.ones(SHAPE)}, "weight_init"),
        ({"p_conn": 0.5}, "p_conn"),
        ({"mask": jnp.ones(SHAPE)}, "mask"),
        ({"connectivity": jnp.ones(SHAPE)}, "connectivity"),
    ),
)


# ---------------------------------------------------------------- SparseTensorSynapse

# the example: 4 streams of 2 units, windows of 2 streams, 2 units per output stream:
# S = 3 output streams, n_in = 8, n_out = 6
SPARSE_ARGS = (4, 2, 2, 2)
SPARSE_IN, SPARSE_OUT = 8, 6
_SPARSE_W = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 2, 2))


def sparse_tensor_synapses(cls):
    """Drawn synapses of `cls`, four structures (tensor or block format; the forward (4, 2, 2, 2)
    layer, 8 → 6, or the inverted (4, 3, 2, 2) one, 6 → 12, with normalisation and biases), so
    that jit caches are reused across examples; the values vary."""

    @st.composite
    def synapses(draw):
        block, invert = draw(st.booleans()), draw(st.booleans())
        return cls(
            4,
            3 if invert else 2,
            2,
            2,
            invert_conn=invert,
            normalize=invert,
            weight_init=draw(st.sampled_from([None, ("gaussian", {"std": 0.5})])),
            bias_init=("uniform", {"low": -0.1, "high": 0.1}) if invert else None,
            g_conduct_factor=draw(st.floats(0.1, 3.0)),
            use_block_matrix_format=block,
            key=jax.random.PRNGKey(_seed(draw)),
        )

    return synapses()


def _sparse_finite_run(synapse, draw):
    key = jax.random.key(_seed(draw))
    x = jax.random.uniform(key, (1000, synapse.n_in), minval=-1e3, maxval=1e3)
    return type(synapse).Inputs(x), 1.0


def _sparse_tensor(cls):
    return Component(
        example=lambda key: cls(*SPARSE_ARGS, key=key),
        example_inputs=lambda synapse: cls.Inputs(jnp.linspace(-1.0, 1.0, synapse.n_in)),
        cells=sparse_tensor_synapses(cls),
        inputs=lambda synapse, draw: cls.Inputs(draw(vector(synapse.n_in, -10.0, 10.0))),
        retrace=(
            lambda a: cls(*SPARSE_ARGS, weight_init=_SPARSE_W * a, g_conduct_factor=a),
            (0.5, 1.0, 2.0),
        ),
        finite_run=_sparse_finite_run,
        bad_arguments=(
            ({"n_in_streams": 4, "K_local": 2, "O_local": 2, "P_l": 5}, "P_l"),
            ({"n_in_streams": 4, "K_local": 2, "O_local": 2, "P_l": 2, "dilation": 4}, "P_l"),
            ({"n_in_streams": 4, "K_local": 2, "O_local": 2, "stride": 0}, "stride"),
            ({"n_in_streams": 4, "K_local": 2, "O_local": 2, "dilation": 0}, "dilation"),
            ({"n_in_streams": 4, "K_local": 2, "O_local": 2, "norm_axis": 2}, "norm_axis"),
            (
                {"n_in_streams": 4, "K_local": 2, "O_local": 2, "convergent_factor": -0.5},
                "convergent_factor",
            ),
            (
                {"n_in_streams": 4, "K_local": 2, "O_local": 2, "P_l": 2, "weight_init": _W},
                "weight_init",
            ),
            ({"n_in_streams": 4, "K_local": 2, "O_local": 2}, "key"),
            (
                {
                    "n_in_streams": 4,
                    "K_local": 2,
                    "O_local": 2,
                    "P_l": 2,
                    "weight_init": _SPARSE_W,
                    "bias_init": jnp.ones(3),
                },
                "bias_init",
            ),
            (
                {
                    "n_in_streams": 4,
                    "K_local": 2,
                    "O_local": 2,
                    "P_l": 2,
                    "weight_init": _SPARSE_W,
                    "p_conn": 1.5,
                },
                "p_conn",
            ),
            (
                {
                    "n_in_streams": 4,
                    "K_local": 2,
                    "O_local": 2,
                    "P_l": 2,
                    "weight_init": _SPARSE_W,
                    "g_conduct_factor": jnp.ones(3),
                },
                "g_conduct_factor",
            ),
        ),
        kwargs={
            "n_in_streams": 4,
            "K_local": 2,
            "O_local": 2,
            "P_l": 2,
            "key": jax.random.key(0),
        },
    )


SPARSE_TENSOR = _sparse_tensor(dynax.SparseTensorSynapse)
STATIC_SPARSE_TENSOR = _sparse_tensor(dynax.StaticSparseTensorSynapse)


COMPONENTS = {
    "AlphaSynapse": ALPHA,
    "DenseSynapse": DENSE,
    "DoubleExpSynapse": DOUBLE_EXP,
    "ExponentialSynapse": EXPONENTIAL,
    "ExponentialSynapse[delayed sparse]": EXPONENTIAL_DELAYED,
    "HebbianSynapse": HEBBIAN,
    "OnlineTraceSTDPSynapse": ONLINE_TRACE_STDP,
    "STPDenseSynapse": STP,
    "SparseTensorSynapse": SPARSE_TENSOR,
    "StaticSparseTensorSynapse": STATIC_SPARSE_TENSOR,
    "StaticSynapse": STATIC,
    "TraceSTDPSynapse": TRACE_STDP,
}
