"""Registry entries of the spiking cells (`dynax.neurons.spiking`)."""

import jax
import jax.numpy as jnp
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax

N = 4  # one unit count keeps the jit caches warm across examples
INTEGRATORS = ["euler", "midpoint", "heun", "ralston", "rk4", "exponential_euler"]
ONES = jnp.ones(N)


def _currents_in_1e3(cell, draw):
    """1000 steps of uniform currents in [−1e3, 1e3] and the ±1e3 constants, at a drawn dt."""
    j = jax.random.uniform(
        jax.random.key(draw(st.integers(0, 2**31 - 1))), (1000, N), minval=-1e3, maxval=1e3
    )
    j = j.at[:300].set(1e3).at[300:600].set(-1e3)
    return type(cell).Inputs(j), draw(st.floats(0.01, 1.0))


# ---------------------------------------------------------------- AdExCell


@st.composite
def _adex_cells(draw):
    f = lambda lo, hi: draw(st.floats(lo, hi))  # noqa: E731
    return dynax.AdExCell(
        N,
        tau_m=f(2.0, 30.0),
        resist_m=f(0.5, 3.0),
        tau_w=f(20.0, 500.0),
        v_sharpness=f(0.5, 4.0),
        intrinsic_mem_thr=f(-60.0, -45.0),
        thr=f(-40.0, 20.0),
        v_rest=f(-75.0, -65.0),
        v_reset=f(-80.0, -60.0),
        a=f(0.0, 1.0),
        b=f(0.0, 5.0),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


def _adex_state(cell, draw):
    v = draw(vector(N, -70.0, -40.0))
    zeros = jnp.zeros(N)
    w = draw(vector(N, -50.0, 50.0)) / 10.0
    return dynax.AdExCell.State(v=v, w=w, s=zeros, tols=zeros, t=jnp.asarray(1.0))


ADEX = Component(
    example=lambda key: dynax.AdExCell(
        N, tau_m=jax.random.uniform(key, (N,), minval=10, maxval=20)
    ),
    example_inputs=lambda cell: dynax.AdExCell.Inputs(j=25 * ONES),
    cells=_adex_cells(),
    state=_adex_state,
    inputs=lambda cell, draw: dynax.AdExCell.Inputs(draw(vector(N, -50.0, 50.0))),
    # the exponential upswing amplifies a last-ulp difference of a fused step: 1e-4 mV
    rtol=1e-5,
    atol=1e-4,
    retrace=(lambda tau: dynax.AdExCell(N, tau_m=tau), (5.0, 10.0, 20.0)),
    finite_run=_currents_in_1e3,
    bad_arguments=(
        ({"n_units": 0}, "n_units"),
        ({"n_units": 3, "tau_m": 0.0}, "tau_m"),
        ({"n_units": 3, "tau_m": jnp.ones(4)}, "tau_m"),
        ({"n_units": 3, "resist_m": float("nan")}, "resist_m"),
        ({"n_units": 3, "tau_w": -1.0}, "tau_w"),
        ({"n_units": 3, "v_sharpness": 0.0}, "v_sharpness"),
        ({"n_units": 3, "intrinsic_mem_thr": float("inf")}, "intrinsic_mem_thr"),
        ({"n_units": 3, "thr": jnp.array([1.0, 2.0])}, "thr"),
        ({"n_units": 3, "v_rest": float("nan")}, "v_rest"),
        ({"n_units": 3, "v_reset": 10.0}, "v_reset"),
        ({"n_units": 3, "a": float("inf")}, "a"),
        ({"n_units": 3, "b": float("nan")}, "b"),
        ({"n_units": 3, "v0": float("nan")}, "v0"),
        ({"n_units": 3, "w0": jnp.ones(2)}, "w0"),
        ({"n_units": 3, "integration_type": "rk45"}, "integration_type"),
        ({"n_units": 3, "surrogate": "nope"}, "surrogate"),
    ),
)


# ---------------------------------------------------------------- LIFCell


@st.composite
def _lif_cells(draw, one_spike=False):
    f = lambda lo, hi: draw(st.floats(lo, hi))  # noqa: E731
    return dynax.LIFCell(
        N,
        tau_m=f(2.0, 50.0),
        resist_m=f(0.5, 20.0),
        thr=f(-60.0, -40.0),
        v_rest=f(-75.0, -60.0),
        v_reset=f(-80.0, -61.0),
        conduct_leak=f(0.0, 2.0),
        tau_theta=draw(st.sampled_from([0.0, 50.0, 1e7])),
        theta_plus=f(0.0, 1.0),
        refract_time=f(0.0, 5.0),
        one_spike=one_spike,
        integration_type=draw(st.sampled_from(INTEGRATORS)),
        v_min=draw(st.sampled_from([None, -90.0])),
    )


def _lif_state(cell, draw):
    """Near threshold, one unit refractory, with adapted thresholds."""
    rest = cell.init_state(thr_theta=0.5)
    v = draw(vector(N, -70.0, -40.0))
    return rest.replace(v=v, rfr=jnp.array([0.0, 1.0, 3.0, 9.0]))


LIF = Component(
    example=lambda key: dynax.LIFCell(N, 10.0),
    example_inputs=lambda cell: dynax.LIFCell.Inputs(j=2 * ONES),
    # with one_spike the step draws with its key: the contract is checked with the key given
    cells=_lif_cells(one_spike=True),
    state=_lif_state,
    inputs=lambda cell, draw: dynax.LIFCell.Inputs(draw(vector(N, -10.0, 20.0))),
    random=True,
    rtol=1e-5,
    atol=1e-5,
    retrace=(lambda tau: dynax.LIFCell(N, tau), (5.0, 10.0, 20.0)),
    finite_run=_currents_in_1e3,
    bad_arguments=(
        ({"n_units": 0, "tau_m": 1.0}, "n_units"),
        ({"n_units": 3, "tau_m": 0.0}, "tau_m"),
        ({"n_units": 3, "tau_m": jnp.ones(4)}, "tau_m"),
        ({"n_units": 3, "tau_m": 1.0, "resist_m": 0.0}, "resist_m"),
        ({"n_units": 3, "tau_m": 1.0, "thr": float("nan")}, "thr"),
        ({"n_units": 3, "tau_m": 1.0, "v_rest": float("inf")}, "v_rest"),
        ({"n_units": 3, "tau_m": 1.0, "v_reset": -40.0}, "v_reset"),
        ({"n_units": 3, "tau_m": 1.0, "conduct_leak": -1.0}, "conduct_leak"),
        ({"n_units": 3, "tau_m": 1.0, "tau_theta": -1.0}, "tau_theta"),
        ({"n_units": 3, "tau_m": 1.0, "theta_plus": jnp.ones(2)}, "theta_plus"),
        ({"n_units": 3, "tau_m": 1.0, "refract_time": -0.5}, "refract_time"),
        ({"n_units": 3, "tau_m": 1.0, "one_spike": 1}, "one_spike"),
        ({"n_units": 3, "tau_m": 1.0, "max_one_spike": "yes"}, "max_one_spike"),
        ({"n_units": 3, "tau_m": 1.0, "integration_type": "rk45"}, "integration_type"),
        ({"n_units": 3, "tau_m": 1.0, "surrogate_type": "secant_lif"}, "surrogate_type"),
        ({"n_units": 3, "tau_m": 1.0, "surrogate_type": 3}, "surrogate_type"),
        ({"n_units": 3, "tau_m": 1.0, "v_min": float("nan")}, "v_min"),
    ),
)


COMPONENTS = {"AdExCell": ADEX, "LIFCell": LIF}
