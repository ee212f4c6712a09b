"""Registry entries of the traces (`dynax.traces`)."""

import jax
import jax.numpy as jnp
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax

N = 4  # one unit count keeps the jit caches warm across examples
SPIKES = jnp.array([1.0, 0.0, 1.0, 1.0])
DT = st.floats(0.1, 2.0)


# ---------------------------------------------------------------- VarTrace


@st.composite
def var_traces(draw):
    """Every decay and nearest-spike mode (`tests/traces/test_var_trace.py` draws them too)."""
    return dynax.VarTrace(
        N,
        tau_tr=draw(st.floats(0.5, 50.0)),
        a_delta=draw(st.sampled_from([0.0, 0.1, 1.0])),
        P_scale=draw(st.floats(0.1, 2.0)),
        gamma_tr=draw(st.floats(0.5, 1.0)),
        decay_type=draw(st.sampled_from(["exp", "lin", "step", "none"])),
        n_nearest_spikes=draw(st.sampled_from([0, 0, 1, 2])),
    )


_SPIKES = st.lists(st.sampled_from([0.0, 1.0]), min_size=N, max_size=N).map(
    lambda v: jnp.asarray(v, jnp.float32)
)


def _var_trace_finite_run(cell, draw):
    """1000 steps of inputs uniform in [−1e3, 1e3] (not only spikes), at a drawn dt."""
    x = jax.random.uniform(
        jax.random.key(draw(st.integers(0, 2**31 - 1))), (1000, N), minval=-1e3, maxval=1e3
    )
    return dynax.VarTrace.Inputs(x), draw(DT)


def _var_trace(**kwargs):
    """The constructor with valid `n_units`, `tau_tr`, `a_delta` unless given."""
    return dynax.VarTrace(**{"n_units": 3, "tau_tr": 10.0, "a_delta": 0.1, **kwargs})


VAR_TRACE = Component(
    example=lambda key: dynax.VarTrace(N, 10.0, 0.5),
    example_inputs=lambda cell: dynax.VarTrace.Inputs(SPIKES),
    cells=var_traces(),
    state=lambda cell, draw: dynax.VarTrace.State(draw(vector(N, -5.0, 5.0))),
    inputs=lambda cell, draw: dynax.VarTrace.Inputs(draw(_SPIKES)),
    dt=DT,
    retrace=(lambda tau: dynax.VarTrace(N, tau, 0.1), (1.0, 10.0, 100.0)),
    finite_run=_var_trace_finite_run,
    bad_arguments=(({"decay_type": "exponential"}, "decay_type"),),
    build=_var_trace,
    kwargs={},
)


COMPONENTS = {"VarTrace": VAR_TRACE}
