"""Registry entries of the encoders (`dynax.encoders`)."""

import jax
import jax.numpy as jnp
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax

N = 4  # one unit count keeps the jit caches warm across examples
ONES = jnp.ones(N)
SPIKES = jnp.array([1.0, 0.0, 1.0, 1.0])
DT = st.floats(0.1, 2.0)
INTENSITIES = vector(N, 0.0, 1.0)


def _intensities_in_1e3(cell, draw):
    """1000 steps of intensities uniform in [−1e3, 1e3] (out of [0, 1] included), at a drawn
    dt."""
    x = jax.random.uniform(
        jax.random.key(draw(st.integers(0, 2**31 - 1))), (1000, N), minval=-1e3, maxval=1e3
    )
    return type(cell).Inputs(x), draw(DT)


def _spike_train_state(cell, draw):
    """No spike in the last step, drawn times of the last spikes, the clock at 5."""
    return type(cell).State(outputs=jnp.zeros(N), tols=draw(INTENSITIES), t=jnp.asarray(5.0))


def _intensities(cell, draw):
    return type(cell).Inputs(draw(INTENSITIES))


# ---------------------------------------------------------------- BernoulliCell

BERNOULLI = Component(
    example=lambda key: dynax.BernoulliCell(N),
    example_inputs=lambda cell: dynax.BernoulliCell.Inputs(0.5 * ONES),
    state=_spike_train_state,
    inputs=_intensities,
    dt=DT,
    random=True,
    finite_run=_intensities_in_1e3,
    bad_arguments=(),
    kwargs={"n_units": 3},
)


# ---------------------------------------------------------------- PoissonCell

POISSON = Component(
    example=lambda key: dynax.PoissonCell(N),
    example_inputs=lambda cell: dynax.PoissonCell.Inputs(0.5 * ONES),
    cells=st.builds(dynax.PoissonCell, st.just(N), st.floats(0.0, 1000.0), st.booleans()),
    state=_spike_train_state,
    inputs=_intensities,
    dt=DT,
    random=True,
    retrace=(lambda f: dynax.PoissonCell(N, f), (10.0, 63.75, 400.0)),
    finite_run=_intensities_in_1e3,
    bad_arguments=(),
    kwargs={"n_units": 3},
)


# ---------------------------------------------------------------- LatencyCell


@st.composite
def _latency_cells(draw):
    return dynax.LatencyCell(
        N,
        tau=draw(st.floats(0.5, 20.0)),
        threshold=draw(st.floats(0.0, 0.5)),
        first_spike_time=draw(st.floats(0.0, 3.0)),
        linearize=draw(st.booleans()),
        normalize=draw(st.booleans()),
        clip_spikes=draw(st.booleans()),
        num_steps=draw(st.sampled_from([1, 20])),
    )


def _latency_state(cell, draw):
    """Some units already fired (mask), the clock in [0, 10]."""
    zeros = jnp.zeros(N)
    return dynax.LatencyCell.State(
        outputs=zeros,
        tols=zeros,
        mask=(draw(INTENSITIES) > 0.5).astype(jnp.float32),
        targ_sp_times=zeros,
        t=jnp.asarray(draw(st.floats(0.0, 10.0)), jnp.float32),
    )


LATENCY = Component(
    example=lambda key: dynax.LatencyCell(N),
    example_inputs=lambda cell: dynax.LatencyCell.Inputs(0.5 * SPIKES),
    cells=_latency_cells(),
    state=_latency_state,
    inputs=_intensities,
    dt=DT,
    retrace=(lambda tau: dynax.LatencyCell(N, tau), (1.0, 5.0, 12.0)),
    finite_run=_intensities_in_1e3,
    bad_arguments=(),
    kwargs={"n_units": 3},
)


COMPONENTS = {"BernoulliCell": BERNOULLI, "LatencyCell": LATENCY, "PoissonCell": POISSON}
