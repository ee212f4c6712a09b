"""Registry entries of the encoders (`dynax.encoders`)."""

import jax
import jax.numpy as jnp
from hypothesis import strategies as st
from support.registry import Component, uniform_floats, vector

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


def _encoder(cls, drive, **fields):
    """The entry of an encoder: its example `cls(N)` stepped on the intensities `drive`,
    drawn intensities in [0, 1] at a dt in [0.1, 2], the long run on intensities in
    [−1e3, 1e3], `n_units` its only required argument; `fields`: the rest of the
    `Component`."""
    return Component(
        example=lambda key: cls(N),
        example_inputs=lambda cell: cls.Inputs(drive),
        inputs=_intensities,
        dt=DT,
        finite_run=_intensities_in_1e3,
        kwargs={"n_units": 3},
        **fields,
    )


# ---------------------------------------------------------------- BernoulliCell

BERNOULLI = _encoder(dynax.BernoulliCell, 0.5 * ONES, state=_spike_train_state, random=True)


# ---------------------------------------------------------------- PoissonCell

POISSON = _encoder(
    dynax.PoissonCell,
    0.5 * ONES,
    cells=st.builds(dynax.PoissonCell, st.just(N), st.floats(0.0, 1000.0), st.booleans()),
    state=_spike_train_state,
    random=True,
    retrace=(lambda f: dynax.PoissonCell(N, f), (10.0, 63.75, 400.0)),
)


# ---------------------------------------------------------------- LatencyCell


@st.composite
def latency_cells(draw, n=N):
    """Latency codes of `n` units, every mode (`tests/encoders/test_latency_cell.py` draws
    them too)."""
    return dynax.LatencyCell(
        n,
        **uniform_floats(draw, tau=(0.5, 20.0), threshold=(0.0, 0.5), first_spike_time=(0.0, 3.0)),
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


LATENCY = _encoder(
    dynax.LatencyCell,
    0.5 * SPIKES,
    cells=latency_cells(),
    state=_latency_state,
    retrace=(lambda tau: dynax.LatencyCell(N, tau), (1.0, 5.0, 12.0)),
)


COMPONENTS = {"BernoulliCell": BERNOULLI, "LatencyCell": LATENCY, "PoissonCell": POISSON}
