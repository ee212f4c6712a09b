"""Registry entries of the spiking cells (`dynax.neurons.spiking`)."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st
from support.registry import Component, vector

import dynax
from dynax.integrate import INTEGRATORS as STEPPERS
from dynax.integrate import SemiImplicitEuler
from dynax.neurons.spiking.lif_srm import NEVER

N = 4  # one unit count keeps the jit caches warm across examples
INTEGRATORS = ["euler", "midpoint", "heun", "ralston", "rk4", "exponential_euler"]
ONES = jnp.ones(N)
KEY = jax.random.key(0)


def _uniform_in_1e3(draw):
    """`(1000, N)` uniform currents in [−1e3, 1e3] from a drawn seed."""
    key = jax.random.key(draw(st.integers(0, 2**31 - 1)))
    return jax.random.uniform(key, (1000, N), minval=-1e3, maxval=1e3)


def _currents_in_1e3(cell, draw):
    """1000 steps of uniform currents in [−1e3, 1e3] and the ±1e3 constants, at a drawn dt."""
    j = _uniform_in_1e3(draw).at[:300].set(1e3).at[300:600].set(-1e3)
    return type(cell).Inputs(j), draw(st.floats(0.01, 1.0))


def _uniform_currents_in_1e3(dt):
    """`finite_run`: 1000 steps of uniform currents in [−1e3, 1e3], at a dt drawn from `dt`."""

    def finite_run(cell, draw):
        return type(cell).Inputs(_uniform_in_1e3(draw)), draw(dt)

    return finite_run


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
        ({"n_units": 3, "thr": jnp.array([1.0, 2.0])}, "thr"),
        ({"n_units": 3, "v_reset": 10.0}, "v_reset"),
    ),
    kwargs={"n_units": 3},
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
        ({"n_units": 3, "tau_m": 1.0, "v_reset": -40.0}, "v_reset"),
        ({"n_units": 3, "tau_m": 1.0, "surrogate_type": "secant_lif"}, "surrogate_type"),
    ),
    kwargs={"n_units": 3, "tau_m": 10.0},
)


# ---------------------------------------------------------------- IFCell


@st.composite
def _if_cells(draw):
    f = lambda lo, hi: draw(st.floats(lo, hi))  # noqa: E731
    return dynax.IFCell(
        N,
        tau_m=f(1.0, 50.0),
        resist_m=f(0.5, 20.0),
        thr=f(-60.0, -40.0),
        v_rest=f(-75.0, -60.0),
        v_reset=f(-80.0, -61.0),
        refract_time=f(0.0, 5.0),
        integration_type=draw(st.sampled_from(["euler", "midpoint", "rk4", "exponential_euler"])),
        lower_clamp_voltage=draw(st.booleans()),
    )


def _if_state(cell, draw):
    """Near threshold, one unit refractory."""
    zeros = jnp.zeros(N)
    v = draw(vector(N, -70.0, -40.0))
    return dynax.IFCell.State(
        v=v, s=zeros, rfr=jnp.array([0.0, 1.0, 3.0, 9.0]), tols=zeros, t=jnp.asarray(0.0)
    )


IF = Component(
    example=lambda key: dynax.IFCell(N, 5.0),
    example_inputs=lambda cell: dynax.IFCell.Inputs(j=2 * ONES),
    cells=_if_cells(),
    state=_if_state,
    inputs=lambda cell, draw: dynax.IFCell.Inputs(draw(vector(N, -10.0, 20.0))),
    rtol=1e-5,
    atol=1e-5,
    retrace=(lambda tau: dynax.IFCell(N, tau), (5.0, 10.0, 20.0)),
    finite_run=_uniform_currents_in_1e3(st.floats(0.01, 1.0)),
    bad_arguments=(
        ({"n_units": 3, "tau_m": 1.0, "v_reset": -50.0}, "v_reset"),
        ({"n_units": 3, "tau_m": 1.0, "surrogate_type": "secant_lif"}, "surrogate_type"),
    ),
    kwargs={"n_units": 3, "tau_m": 10.0},
)


# ---------------------------------------------------------------- QuadLIFCell


@st.composite
def _quad_lif_cells(draw):
    f = lambda lo, hi: draw(st.floats(lo, hi))  # noqa: E731
    return dynax.QuadLIFCell(
        N,
        tau_m=f(2.0, 50.0),
        resist_m=f(0.5, 20.0),
        thr=f(-60.0, -20.0),
        v_rest=f(-75.0, -62.0),
        v_reset=f(-80.0, -61.0),
        v_c=f(-50.0, -35.0),
        a0=f(0.01, 2.0),
        tau_theta=draw(st.sampled_from([0.0, 50.0, 1e7])),
        theta_plus=f(0.0, 1.0),
        refract_time=f(0.0, 5.0),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


QUAD_LIF = Component(
    example=lambda key: dynax.QuadLIFCell(N, 10.0),
    example_inputs=lambda cell: dynax.QuadLIFCell.Inputs(j=2 * ONES),
    cells=_quad_lif_cells(),
    state=lambda cell, draw: cell.init_state().replace(v=draw(vector(N, -70.0, -40.0))),
    # the currents of the old jit test (−70..−40) and of its vmap test (−10..20)
    inputs=lambda cell, draw: dynax.QuadLIFCell.Inputs(
        draw(st.one_of(vector(N, -70.0, -40.0), vector(N, -10.0, 20.0)))
    ),
    atol=1e-4,
    retrace=(lambda tau: dynax.QuadLIFCell(N, tau), (5.0, 10.0, 20.0)),
    finite_run=_currents_in_1e3,
    bad_arguments=(
        ({"n_units": 3, "tau_m": 1.0, "v_reset": -50.0}, "v_reset"),
        ({"n_units": 3, "tau_m": 1.0, "surrogate_type": "secant_lif"}, "surrogate_type"),
    ),
    kwargs={"n_units": 3, "tau_m": 10.0},
)


# ---------------------------------------------------------------- IzhikevichCell


@st.composite
def _izhikevich_cells(draw):
    return dynax.IzhikevichCell(
        N,
        tau_m=draw(st.floats(0.5, 2.0)),
        resist_m=draw(st.floats(0.5, 2.0)),
        v_reset=draw(st.floats(-70.0, -45.0)),
        tau_w=draw(st.floats(10.0, 100.0)),
        w_reset=draw(st.floats(0.0, 10.0)),
        coupling_factor=draw(st.floats(0.1, 0.3)),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


def _izhikevich_state(cell, draw):
    rest = cell.init_state()
    v, w = draw(vector(N, -80.0, 30.0)), draw(vector(N, -20.0, 10.0))
    return dynax.IzhikevichCell.State(v=v, w=w, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5))


IZHIKEVICH = Component(
    example=lambda key: dynax.IzhikevichCell(N),
    example_inputs=lambda cell: dynax.IzhikevichCell.Inputs(j=10 * ONES),
    cells=_izhikevich_cells(),
    state=_izhikevich_state,
    # the currents j in −20..40 of the old tests, and the −j of their vmap test
    inputs=lambda cell, draw: dynax.IzhikevichCell.Inputs(
        draw(st.one_of(vector(N, -20.0, 40.0), vector(N, -40.0, 20.0)))
    ),
    dt=st.floats(0.01, 0.5).map(jnp.float32),
    rtol=1e-5,
    atol=1e-4,
    retrace=(lambda tau: dynax.IzhikevichCell(N, tau_m=tau), (0.5, 1.0, 2.0)),
    # any integrator, dt up to τ_m: the apex guard keeps every stage finite (without it RK4
    # overflows in the step of a spike)
    finite_run=_uniform_currents_in_1e3(st.floats(0.01, 1.0).map(jnp.float32)),
    bad_arguments=(
        ({"n_units": 3, "v_reset": 30.0}, "v_reset"),
        ({"n_units": 3, "v_reset": jnp.array([-65.0, 40.0, -65.0])}, "v_reset"),
        ({"n_units": 3, "w0": jnp.ones((3, 1))}, "w0"),
    ),
    kwargs={"n_units": 3},
)


# ---------------------------------------------------------------- FitzhughNagumoCell


@st.composite
def _fitzhugh_nagumo_cells(draw):
    return dynax.FitzhughNagumoCell(
        N,
        tau_m=draw(st.floats(0.5, 2.0)),
        resist_m=draw(st.floats(0.5, 2.0)),
        tau_w=draw(st.floats(5.0, 20.0)),
        alpha=draw(st.floats(0.5, 0.9)),
        beta=draw(st.floats(0.5, 0.9)),
        gamma=draw(st.floats(2.0, 4.0)),
        v0=draw(st.floats(-1.5, 0.0)),
        w0=draw(st.floats(-0.7, 0.0)),
        v_thr=draw(st.floats(0.8, 1.2)),
        spike_reset=draw(st.booleans()),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


def _fitzhugh_nagumo_state(cell, draw):
    rest = cell.init_state()
    v, w = draw(vector(N, -2.5, 2.5)), draw(vector(N, -2.5, 2.5))
    return dynax.FitzhughNagumoCell.State(v=v, w=w, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5))


def _fitzhugh_nagumo_finite_run(cell, draw):
    """Currents J = R·j in [−1e3, 1e3] with dt ≤ 0.005·τ_m (inside the documented stable
    domain of the explicit steppers under such currents: no guard, the model itself stays
    finite)."""
    j = _uniform_in_1e3(draw) / cell.resist_m
    return dynax.FitzhughNagumoCell.Inputs(j), np.float32(
        draw(st.floats(1e-3, 5e-3)) * float(cell.tau_m)
    )


FITZHUGH_NAGUMO = Component(
    example=lambda key: dynax.FitzhughNagumoCell(N),
    example_inputs=lambda cell: dynax.FitzhughNagumoCell.Inputs(j=0.5 * ONES),
    cells=_fitzhugh_nagumo_cells(),
    state=_fitzhugh_nagumo_state,
    inputs=lambda cell, draw: dynax.FitzhughNagumoCell.Inputs(draw(vector(N, -2.5, 2.5))),
    dt=st.floats(0.01, 0.2).map(jnp.float32),
    rtol=1e-5,
    atol=1e-5,
    retrace=(lambda tau: dynax.FitzhughNagumoCell(N, tau_m=tau), (0.5, 1.0, 2.0)),
    finite_run=_fitzhugh_nagumo_finite_run,
    bad_arguments=(({"n_units": 3, "w0": jnp.ones((3, 1))}, "w0"),),
    kwargs={"n_units": 3},
)


# ---------------------------------------------------------------- HodgkinHuxleyCell


@st.composite
def _hodgkin_huxley_cells(
    draw, spike_reset=None, schemes=("euler", "midpoint", "rk4", "exponential_euler")
):
    # One scheme per family (heun/ralston share midpoint's code path in the cell and are
    # checked in tests/test_integrate.py): the HH field is large, and each scheme costs a
    # compilation.
    return dynax.HodgkinHuxleyCell(
        N,
        tau_v=draw(st.floats(0.5, 2.0)),
        resist_m=draw(st.floats(0.5, 2.0)),
        g_Na=draw(st.floats(50.0, 120.0)),
        g_K=draw(st.floats(5.0, 36.0)),
        g_L=draw(st.floats(0.1, 0.5)),
        thr=draw(st.floats(4.0, 30.0)),
        v_reset=draw(st.floats(-5.0, 5.0)),
        spike_reset=draw(st.booleans()) if spike_reset is None else spike_reset,
        integration_type=draw(st.sampled_from(schemes)),
    )


def _hodgkin_huxley_state(cell, draw):
    rest = cell.init_state()
    v = draw(vector(N, -20.0, 110.0))
    n, m, h = (draw(vector(N, 0.0, 1.0)) for _ in range(3))
    return dynax.HodgkinHuxleyCell.State(
        v=v, n=n, m=m, h=h, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5)
    )


def _hodgkin_huxley_finite_run(cell, draw):
    """Currents in [−1e3, 1e3] with dt = fraction·2τ_v/G, G = g_Na + g_K + g_L: the
    documented domain where the (linear in v) voltage equation is stable for every explicit
    stepper; the guards take care of the rates and the gates."""
    conductance = float(cell.g_Na + cell.g_K + cell.g_L)
    dt = np.float32(draw(st.floats(0.05, 0.7)) * 2.0 * float(cell.tau_v) / conductance)
    return dynax.HodgkinHuxleyCell.Inputs(_uniform_in_1e3(draw)), dt


HODGKIN_HUXLEY = Component(
    example=lambda key: dynax.HodgkinHuxleyCell(N, 1.0),
    example_inputs=lambda cell: dynax.HodgkinHuxleyCell.Inputs(j=10 * ONES),
    cells=_hodgkin_huxley_cells(),
    state=_hodgkin_huxley_state,
    # the currents j in −20..40 of the old tests, and the −j of their vmap test
    inputs=lambda cell, draw: dynax.HodgkinHuxleyCell.Inputs(
        draw(st.one_of(vector(N, -20.0, 40.0), vector(N, -40.0, 20.0)))
    ),
    dt=st.floats(0.001, 0.01).map(jnp.float32),
    rtol=1e-5,
    atol=1e-5,
    retrace=(lambda tau: dynax.HodgkinHuxleyCell(N, tau), (0.5, 1.0, 2.0)),
    finite_run=_hodgkin_huxley_finite_run,
    finite_cells=_hodgkin_huxley_cells(spike_reset=False),  # no reset to help
    bad_arguments=(({"n_units": 3, "tau_v": 1.0, "g_L": jnp.array([0.3, -0.3, 0.3])}, "g_L"),),
    kwargs={"n_units": 3, "tau_v": 1.0},
)


# ---------------------------------------------------------------- RAFCell

RAF_SCHEMES = ["symplectic_euler", *INTEGRATORS]
_STABILITY_POLYNOMIALS = {
    "euler": [1.0, 1.0],
    "midpoint": [1.0, 1.0, 0.5],
    "heun": [1.0, 1.0, 0.5],
    "ralston": [1.0, 1.0, 0.5],
    "rk4": [1.0, 1.0, 0.5, 1 / 6, 1 / 24],
}


def raf_matrix(b, omega, tau_v, tau_w):
    """The resonate-and-fire oscillator as y' = A·y + c·J for y = (v, w)."""
    return np.array([[b / tau_v, omega / tau_v], [-omega / tau_w, b / tau_w]])


def raf_spectral_radius(scheme, dt, b, omega, tau_v, tau_w):
    """The amplification of one step of the linear system, from each scheme's textbook
    stability function (written here, not taken from dynax)."""
    a = raf_matrix(b, omega, tau_v, tau_w)
    if scheme == "symplectic_euler":
        hv, hw = dt / tau_v, dt / tau_w
        step = np.array(
            [
                [1 + hv * b - hv * hw * omega**2, hv * omega * (1 + hw * b)],
                [-hw * omega, 1 + hw * b],
            ]
        )
        return np.abs(np.linalg.eigvals(step)).max()
    if scheme == "exponential_euler":
        # y⁺ = y + dt·φ₁(dt·a_ii)·f_i(y), φ₁(z) = (eᶻ − 1)/z, a_ii the diagonal of A
        z = dt * np.diag(a)
        step = np.eye(2) + dt * np.diag(np.expm1(z) / z) @ a
        return np.abs(np.linalg.eigvals(step)).max()
    z = dt * np.linalg.eigvals(a)
    coefficients = _STABILITY_POLYNOMIALS[scheme]
    return np.abs(sum(c * z**k for k, c in enumerate(coefficients))).max()


def raf_scheme_name(cell):
    """The name of the cell's stepper, for the stability functions above."""
    if cell.integration_type == SemiImplicitEuler():
        return "symplectic_euler"
    return next(n for n, s in STEPPERS.items() if s == cell.integration_type)


def raf_stable_dt(scheme, b, omega, tau_v, tau_w):
    """The largest dt on a fine grid below which the scheme is stable."""
    grid = np.geomspace(1e-5, 2.0, 2000)
    unstable = [dt for dt in grid if raf_spectral_radius(scheme, dt, b, omega, tau_v, tau_w) > 1]
    return unstable[0] if unstable else grid[-1]


@st.composite
def _raf_cells(draw):
    return dynax.RAFCell(
        N,
        tau_v=draw(st.floats(0.5, 2.0)),
        tau_w=draw(st.floats(0.5, 2.0)),
        thr=draw(st.floats(0.5, 1.5)),
        omega=draw(st.floats(2.0, 12.0)),
        dampen_factor=draw(st.floats(-2.0, -0.1)),
        v_reset=draw(st.floats(-0.3, 0.3)),
        w_reset=draw(st.floats(-0.3, 0.3)),
        resist_v=draw(st.floats(0.5, 2.0)),
        post_spike_reset=draw(st.booleans()),
        integration_type=draw(st.sampled_from(RAF_SCHEMES)),
    )


def _raf_state(cell, draw):
    rest = cell.init_state()
    v, w = draw(vector(N, -3.0, 3.0)), draw(vector(N, -3.0, 3.0))
    return dynax.RAFCell.State(v=v, w=w, s=rest.s, tols=rest.tols, t=jnp.asarray(1.5))


def _raf_finite_run(cell, draw):
    """Currents in [−1e3, 1e3] with dt a fraction of the scheme's stability limit (computed
    here from its textbook stability function; the cell is linear between spikes, so outside
    that domain an explicit scheme must grow without bound when no reset catches it)."""
    params = [float(x) for x in (cell.dampen_factor, cell.omega, cell.tau_v, cell.tau_w)]
    limit = min(raf_stable_dt(raf_scheme_name(cell), *params), 0.5)
    dt = np.float32(draw(st.floats(0.05, 0.9)) * limit)
    return dynax.RAFCell.Inputs(_uniform_in_1e3(draw)), dt


RAF = Component(
    example=lambda key: dynax.RAFCell(N),
    example_inputs=lambda cell: dynax.RAFCell.Inputs(j=10 * ONES),
    cells=_raf_cells(),
    state=_raf_state,
    inputs=lambda cell, draw: dynax.RAFCell.Inputs(draw(vector(N, -3.0, 3.0))),
    dt=st.floats(0.005, 0.1).map(jnp.float32),
    rtol=1e-5,
    atol=1e-5,
    retrace=(lambda tau: dynax.RAFCell(N, tau_v=tau), (0.5, 1.0, 2.0)),
    finite_run=_raf_finite_run,
    bad_arguments=(
        ({"n_units": 3, "v0": jnp.ones((3, 1))}, "v0"),
        ({"n_units": 3, "integration_type": "leapfrog"}, "integration_type"),
    ),
    kwargs={"n_units": 3},
)


# ---------------------------------------------------------------- SLIFCell


@st.composite
def _slif_cells(draw):
    return dynax.SLIFCell(
        N,
        tau_m=draw(st.floats(2.0, 30.0)),
        resist_m=draw(st.floats(0.5, 3.0)),
        thr=draw(st.floats(0.2, 1.0)),
        resist_inh=draw(st.sampled_from([0.0, 0.2])),
        thr_gain=draw(st.floats(0.0, 0.05)),
        thr_leak=draw(st.floats(0.0, 0.01)),
        rho_b=draw(st.sampled_from([0.0, 0.01])),
        refract_time=draw(st.sampled_from([0.0, 2.0])),
        sticky_spikes=draw(st.booleans()),
        integration_type=draw(st.sampled_from(["euler", "midpoint", "rk4", "exponential_euler"])),
        key=jax.random.key(draw(st.integers(0, 2**16))),
    )


def _slif_state(cell, draw):
    v, s, rfr = (draw(vector(N, -3.0, 3.0)) for _ in range(3))
    return dynax.SLIFCell.State(
        v=v,
        s=(s > 0).astype(jnp.float32),
        thr=cell.threshold0,
        rfr=jnp.abs(rfr),
        tols=jnp.zeros(N),
        surrogate=jnp.ones(N),
        t=jnp.asarray(3.0),
    )


def _slif_without_draws(tau):
    return dynax.SLIFCell(N, tau, 1.0, 0.5, thr_jitter=0.0, inh_weights=jnp.zeros((N, N)))


SLIF_GOOD = dict(n_units=3, tau_m=10.0, resist_m=1.0, thr=0.5, key=KEY)

SLIF = Component(
    example=lambda key: dynax.SLIFCell(N, 10.0, 1.0, 0.5, key=key),
    example_inputs=lambda cell: dynax.SLIFCell.Inputs(j=ONES),
    cells=_slif_cells(),
    state=_slif_state,
    inputs=lambda cell, draw: dynax.SLIFCell.Inputs(draw(vector(N, -3.0, 3.0))),
    dt=st.floats(0.1, 1.0),
    retrace=(_slif_without_draws, (5.0, 10.0, 20.0)),
    finite_run=_uniform_currents_in_1e3(st.floats(0.1, 1.0)),
    bad_arguments=tuple(
        ({**SLIF_GOOD, **change}, match)
        for change, match in [
            ({"thr": float("inf")}, "thr"),
            ({"thr_jitter": -0.05}, "thr_jitter"),
            ({"key": None}, "key"),
            ({"inh_weights": jnp.ones((3, 2))}, "inh_weights"),
            ({"inh_weights": jnp.full((3, 3), jnp.nan)}, "inh_weights"),
        ]
    ),
    kwargs={"n_units": 3, "tau_m": 10.0, "resist_m": 1.0, "thr": 0.5, "key": jax.random.key(0)},
)


# ---------------------------------------------------------------- WTASCell


@st.composite
def _wtas_cells(draw):
    return dynax.WTASCell(
        N,
        resist_m=draw(st.floats(0.5, 3.0)),
        thr_base=draw(st.floats(0.1, 0.6)),
        thr_gain=draw(st.floats(0.0, 0.05)),
        refract_time=draw(st.sampled_from([0.0, 2.0])),
        key=jax.random.key(draw(st.integers(0, 2**16))),
    )


def _wtas_state(cell, draw):
    thr, rfr = draw(vector(N, -3.0, 3.0)), draw(vector(N, -3.0, 3.0))
    return dynax.WTASCell.State(
        v=jnp.zeros(N),
        s=jnp.zeros(N),
        thr=jnp.abs(thr) / 3.0,
        rfr=jnp.abs(rfr),
        tols=jnp.zeros(N),
        t=jnp.asarray(2.0),
    )


WTAS = Component(
    example=lambda key: dynax.WTASCell(N, key=key),
    example_inputs=lambda cell: dynax.WTASCell.Inputs(j=ONES),
    cells=_wtas_cells(),
    state=_wtas_state,
    inputs=lambda cell, draw: dynax.WTASCell.Inputs(draw(vector(N, -3.0, 3.0))),
    dt=st.floats(0.1, 1.0),
    retrace=(lambda resist: dynax.WTASCell(N, resist_m=resist, thr_jitter=0.0), (0.5, 1.0, 2.0)),
    finite_run=_uniform_currents_in_1e3(st.floats(0.1, 1.0)),
    bad_arguments=(
        ({"n_units": 3, "thr_base": jnp.ones(2), "key": KEY}, "thr_base"),
        ({"n_units": 3, "thr_base": float("inf"), "key": KEY}, "thr_base"),
        ({"n_units": 3, "thr_jitter": -0.1, "key": KEY}, "thr_jitter"),
        ({"n_units": 3}, "key"),
    ),
    kwargs={"n_units": 3, "key": jax.random.key(0)},
)


# ---------------------------------------------------------------- LIFSRM


@st.composite
def _lif_srm_cells(draw):
    return dynax.LIFSRM(
        N,
        tau_m=draw(st.floats(2.0, 30.0)),
        thr=draw(st.floats(-55.0, -45.0)),
        v_rest=draw(st.floats(-70.0, -60.0)),
        v_reset=draw(st.floats(-75.0, -55.0)),
    )


def _lif_srm_state(cell, draw):
    """A drawn low-passed drive; some units spiked at drawn times, the others never."""
    trace, t_last = draw(vector(N, -20.0, 20.0)), draw(vector(N, -20.0, 20.0))
    return dynax.LIFSRM.State(
        v=jnp.full(N, -60.0),
        s=jnp.zeros(N),
        t_last_spike=jnp.where(t_last > 0, jnp.abs(t_last) / 4.0, NEVER),
        j_lowpass=trace,
        t=jnp.asarray(6.0),
    )


LIF_SRM = Component(
    example=lambda key: dynax.LIFSRM(N, 10.0),
    example_inputs=lambda cell: dynax.LIFSRM.Inputs(j=8 * ONES),
    cells=_lif_srm_cells(),
    state=_lif_srm_state,
    inputs=lambda cell, draw: dynax.LIFSRM.Inputs(draw(vector(N, -20.0, 20.0))),
    dt=st.floats(0.1, 1.0),
    retrace=(lambda tau: dynax.LIFSRM(N, tau), (5.0, 10.0, 20.0)),
    finite_run=_uniform_currents_in_1e3(st.floats(0.1, 1.0)),
    bad_arguments=(({"n_units": 3, "tau_m": 1.0, "surrogate": 0.2}, "surrogate"),),
    kwargs={"n_units": 3, "tau_m": 10.0},
)


COMPONENTS = {
    "AdExCell": ADEX,
    "FitzhughNagumoCell": FITZHUGH_NAGUMO,
    "HodgkinHuxleyCell": HODGKIN_HUXLEY,
    "IFCell": IF,
    "IzhikevichCell": IZHIKEVICH,
    "LIFCell": LIF,
    "LIFSRM": LIF_SRM,
    "QuadLIFCell": QUAD_LIF,
    "RAFCell": RAF,
    "SLIFCell": SLIF,
    "WTASCell": WTAS,
}
