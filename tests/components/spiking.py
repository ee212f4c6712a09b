"""Registry entries of the spiking cells (`dynax.neurons.spiking`)."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st
from support.registry import Component, uniform_floats, vector

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


def _entry(cls, drive, currents, *, example=None, kwargs=None, **fields):
    """The entry of a spiking cell driven by one current `j`: its example (`cls(N)` unless
    given) stepped at the constant current `drive`, drawn currents from the strategy
    `currents`, valid constructor arguments `kwargs` (`n_units=3` unless given); `fields`:
    the rest of the `Component`."""
    return Component(
        example=example or (lambda key: cls(N)),
        example_inputs=lambda cell: cls.Inputs(j=drive * ONES),
        inputs=lambda cell, draw: cls.Inputs(draw(currents)),
        kwargs={"n_units": 3} if kwargs is None else kwargs,
        **fields,
    )


def _retrace(cls, parameter, values):
    """`retrace`: the cell with `parameter` at each of `values`, the others at their defaults."""
    return lambda value: cls(N, **{parameter: value}), values


# ---------------------------------------------------------------- two-variable cells

# AdEx, Izhikevich, FitzHugh-Nagumo and RAF: a voltage v and a recovery variable w.


def _voltage_recovery_state(v, w, t):
    """`state`: v and w drawn from the strategies `v` and `w`, the rest's spikes and spike
    times, the clock at `t`."""

    def state(cell, draw):
        rest = cell.init_state()
        return type(cell).State(v=draw(v), w=draw(w), s=rest.s, tols=rest.tols, t=jnp.asarray(t))

    return state


# ---------------------------------------------------------------- AdExCell


@st.composite
def _adex_cells(draw):
    return dynax.AdExCell(
        N,
        **uniform_floats(
            draw,
            tau_m=(2.0, 30.0),
            resist_m=(0.5, 3.0),
            tau_w=(20.0, 500.0),
            v_sharpness=(0.5, 4.0),
            intrinsic_mem_thr=(-60.0, -45.0),
            thr=(-40.0, 20.0),
            v_rest=(-75.0, -65.0),
            v_reset=(-80.0, -60.0),
            a=(0.0, 1.0),
            b=(0.0, 5.0),
        ),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


_adex_state = _voltage_recovery_state(
    vector(N, -70.0, -40.0), vector(N, -50.0, 50.0).map(lambda w: w / 10.0), 1.0
)


ADEX = _entry(
    dynax.AdExCell,
    25,
    vector(N, -50.0, 50.0),
    example=lambda key: dynax.AdExCell(
        N, tau_m=jax.random.uniform(key, (N,), minval=10, maxval=20)
    ),
    cells=_adex_cells(),
    state=_adex_state,
    # the exponential upswing amplifies a last-ulp difference of a fused step: 1e-4 mV
    rtol=1e-5,
    atol=1e-4,
    retrace=_retrace(dynax.AdExCell, "tau_m", (5.0, 10.0, 20.0)),
    finite_run=_currents_in_1e3,
    bad_arguments=(
        ({"n_units": 3, "thr": jnp.array([1.0, 2.0])}, "thr"),
        ({"n_units": 3, "v_reset": 10.0}, "v_reset"),
    ),
)


# ---------------------------------------------------------------- integrate-and-fire cells

# The parameters LIF, IF and QuadLIF share, with the ranges drawn unless a cell narrows one.
_INTEGRATE_AND_FIRE = {
    "tau_m": (2.0, 50.0),
    "resist_m": (0.5, 20.0),
    "thr": (-60.0, -40.0),
    "v_rest": (-75.0, -60.0),
    "v_reset": (-80.0, -61.0),
}


def _adaptive_threshold(draw):
    """LIF's and QuadLIF's threshold adaptation (off, adapting, or so slow it only grows) and
    refractory time."""
    return {
        "tau_theta": draw(st.sampled_from([0.0, 50.0, 1e7])),
        **uniform_floats(draw, theta_plus=(0.0, 1.0), refract_time=(0.0, 5.0)),
    }


_IF_CURRENTS = vector(N, -10.0, 20.0)


def _integrate_and_fire(cls, tau_m, v_reset, currents=_IF_CURRENTS, **fields):
    """The entry of an integrate-and-fire cell: the example `cls(N, tau_m)` driven by j = 2,
    retraced over τ_m; a reset `v_reset` above the default threshold and a surrogate name the
    argument refuses are bad arguments."""
    return _entry(
        cls,
        2,
        currents,
        example=lambda key: cls(N, tau_m),
        retrace=_retrace(cls, "tau_m", (5.0, 10.0, 20.0)),
        bad_arguments=(
            ({"n_units": 3, "tau_m": 1.0, "v_reset": v_reset}, "v_reset"),
            ({"n_units": 3, "tau_m": 1.0, "surrogate_type": "secant_lif"}, "surrogate_type"),
        ),
        kwargs={"n_units": 3, "tau_m": 10.0},
        **fields,
    )


# ---------------------------------------------------------------- LIFCell


@st.composite
def _lif_cells(draw, one_spike=False):
    return dynax.LIFCell(
        N,
        **uniform_floats(draw, **_INTEGRATE_AND_FIRE, conduct_leak=(0.0, 2.0)),
        **_adaptive_threshold(draw),
        one_spike=one_spike,
        integration_type=draw(st.sampled_from(INTEGRATORS)),
        v_min=draw(st.sampled_from([None, -90.0])),
    )


def _lif_state(cell, draw):
    """Near threshold, one unit refractory, with adapted thresholds."""
    rest = cell.init_state(thr_theta=0.5)
    v = draw(vector(N, -70.0, -40.0))
    return rest.replace(v=v, rfr=jnp.array([0.0, 1.0, 3.0, 9.0]))


LIF = _integrate_and_fire(
    dynax.LIFCell,
    10.0,
    -40.0,
    # with one_spike the step draws with its key: the contract is checked with the key given
    cells=_lif_cells(one_spike=True),
    state=_lif_state,
    random=True,
    rtol=1e-5,
    atol=1e-5,
    finite_run=_currents_in_1e3,
)


# ---------------------------------------------------------------- IFCell


@st.composite
def _if_cells(draw):
    ranges = {**_INTEGRATE_AND_FIRE, "tau_m": (1.0, 50.0)}
    return dynax.IFCell(
        N,
        **uniform_floats(draw, **ranges, refract_time=(0.0, 5.0)),
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


IF = _integrate_and_fire(
    dynax.IFCell,
    5.0,
    -50.0,
    cells=_if_cells(),
    state=_if_state,
    rtol=1e-5,
    atol=1e-5,
    finite_run=_uniform_currents_in_1e3(st.floats(0.01, 1.0)),
)


# ---------------------------------------------------------------- QuadLIFCell


@st.composite
def _quad_lif_cells(draw):
    ranges = {**_INTEGRATE_AND_FIRE, "thr": (-60.0, -20.0), "v_rest": (-75.0, -62.0)}
    return dynax.QuadLIFCell(
        N,
        **uniform_floats(draw, **ranges, v_c=(-50.0, -35.0), a0=(0.01, 2.0)),
        **_adaptive_threshold(draw),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


QUAD_LIF = _integrate_and_fire(
    dynax.QuadLIFCell,
    10.0,
    -50.0,
    # the currents of the old jit test (−70..−40) and of its vmap test (−10..20)
    currents=st.one_of(vector(N, -70.0, -40.0), vector(N, -10.0, 20.0)),
    cells=_quad_lif_cells(),
    state=lambda cell, draw: cell.init_state().replace(v=draw(vector(N, -70.0, -40.0))),
    atol=1e-4,
    finite_run=_currents_in_1e3,
)


# ---------------------------------------------------------------- IzhikevichCell


@st.composite
def _izhikevich_cells(draw):
    return dynax.IzhikevichCell(
        N,
        **uniform_floats(
            draw,
            tau_m=(0.5, 2.0),
            resist_m=(0.5, 2.0),
            v_reset=(-70.0, -45.0),
            tau_w=(10.0, 100.0),
            w_reset=(0.0, 10.0),
            coupling_factor=(0.1, 0.3),
        ),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


_izhikevich_state = _voltage_recovery_state(vector(N, -80.0, 30.0), vector(N, -20.0, 10.0), 1.5)

# the currents j in −20..40 of the old tests, and the −j of their vmap test
_CURRENTS_AND_NEGATIVES = st.one_of(vector(N, -20.0, 40.0), vector(N, -40.0, 20.0))


IZHIKEVICH = _entry(
    dynax.IzhikevichCell,
    10,
    _CURRENTS_AND_NEGATIVES,
    cells=_izhikevich_cells(),
    state=_izhikevich_state,
    dt=st.floats(0.01, 0.5).map(jnp.float32),
    rtol=1e-5,
    atol=1e-4,
    retrace=_retrace(dynax.IzhikevichCell, "tau_m", (0.5, 1.0, 2.0)),
    # any integrator, dt up to τ_m: the apex guard keeps every stage finite (without it RK4
    # overflows in the step of a spike)
    finite_run=_uniform_currents_in_1e3(st.floats(0.01, 1.0).map(jnp.float32)),
    bad_arguments=(
        ({"n_units": 3, "v_reset": 30.0}, "v_reset"),
        ({"n_units": 3, "v_reset": jnp.array([-65.0, 40.0, -65.0])}, "v_reset"),
        ({"n_units": 3, "w0": jnp.ones((3, 1))}, "w0"),
    ),
)


# ---------------------------------------------------------------- FitzhughNagumoCell


@st.composite
def _fitzhugh_nagumo_cells(draw):
    return dynax.FitzhughNagumoCell(
        N,
        **uniform_floats(
            draw,
            tau_m=(0.5, 2.0),
            resist_m=(0.5, 2.0),
            tau_w=(5.0, 20.0),
            alpha=(0.5, 0.9),
            beta=(0.5, 0.9),
            gamma=(2.0, 4.0),
            v0=(-1.5, 0.0),
            w0=(-0.7, 0.0),
            v_thr=(0.8, 1.2),
        ),
        spike_reset=draw(st.booleans()),
        integration_type=draw(st.sampled_from(INTEGRATORS)),
    )


_fitzhugh_nagumo_state = _voltage_recovery_state(vector(N, -2.5, 2.5), vector(N, -2.5, 2.5), 1.5)


def _fitzhugh_nagumo_finite_run(cell, draw):
    """Currents J = R·j in [−1e3, 1e3] with dt ≤ 0.005·τ_m (inside the documented stable
    domain of the explicit steppers under such currents: no guard, the model itself stays
    finite)."""
    j = _uniform_in_1e3(draw) / cell.resist_m
    return dynax.FitzhughNagumoCell.Inputs(j), np.float32(
        draw(st.floats(1e-3, 5e-3)) * float(cell.tau_m)
    )


FITZHUGH_NAGUMO = _entry(
    dynax.FitzhughNagumoCell,
    0.5,
    vector(N, -2.5, 2.5),
    cells=_fitzhugh_nagumo_cells(),
    state=_fitzhugh_nagumo_state,
    dt=st.floats(0.01, 0.2).map(jnp.float32),
    rtol=1e-5,
    atol=1e-5,
    retrace=_retrace(dynax.FitzhughNagumoCell, "tau_m", (0.5, 1.0, 2.0)),
    finite_run=_fitzhugh_nagumo_finite_run,
    bad_arguments=(({"n_units": 3, "w0": jnp.ones((3, 1))}, "w0"),),
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
        **uniform_floats(
            draw,
            tau_v=(0.5, 2.0),
            resist_m=(0.5, 2.0),
            g_Na=(50.0, 120.0),
            g_K=(5.0, 36.0),
            g_L=(0.1, 0.5),
            thr=(4.0, 30.0),
            v_reset=(-5.0, 5.0),
        ),
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


HODGKIN_HUXLEY = _entry(
    dynax.HodgkinHuxleyCell,
    10,
    _CURRENTS_AND_NEGATIVES,
    example=lambda key: dynax.HodgkinHuxleyCell(N, 1.0),
    cells=_hodgkin_huxley_cells(),
    state=_hodgkin_huxley_state,
    dt=st.floats(0.001, 0.01).map(jnp.float32),
    rtol=1e-5,
    atol=1e-5,
    retrace=_retrace(dynax.HodgkinHuxleyCell, "tau_v", (0.5, 1.0, 2.0)),
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
        **uniform_floats(
            draw,
            tau_v=(0.5, 2.0),
            tau_w=(0.5, 2.0),
            thr=(0.5, 1.5),
            omega=(2.0, 12.0),
            dampen_factor=(-2.0, -0.1),
            v_reset=(-0.3, 0.3),
            w_reset=(-0.3, 0.3),
            resist_v=(0.5, 2.0),
        ),
        post_spike_reset=draw(st.booleans()),
        integration_type=draw(st.sampled_from(RAF_SCHEMES)),
    )


_raf_state = _voltage_recovery_state(vector(N, -3.0, 3.0), vector(N, -3.0, 3.0), 1.5)


def _raf_finite_run(cell, draw):
    """Currents in [−1e3, 1e3] with dt a fraction of the scheme's stability limit (computed
    here from its textbook stability function; the cell is linear between spikes, so outside
    that domain an explicit scheme must grow without bound when no reset catches it)."""
    params = [float(x) for x in (cell.dampen_factor, cell.omega, cell.tau_v, cell.tau_w)]
    limit = min(raf_stable_dt(raf_scheme_name(cell), *params), 0.5)
    dt = np.float32(draw(st.floats(0.05, 0.9)) * limit)
    return dynax.RAFCell.Inputs(_uniform_in_1e3(draw)), dt


RAF = _entry(
    dynax.RAFCell,
    10,
    vector(N, -3.0, 3.0),
    cells=_raf_cells(),
    state=_raf_state,
    dt=st.floats(0.005, 0.1).map(jnp.float32),
    rtol=1e-5,
    atol=1e-5,
    retrace=_retrace(dynax.RAFCell, "tau_v", (0.5, 1.0, 2.0)),
    finite_run=_raf_finite_run,
    bad_arguments=(
        ({"n_units": 3, "v0": jnp.ones((3, 1))}, "v0"),
        ({"n_units": 3, "integration_type": "leapfrog"}, "integration_type"),
    ),
)


# ---------------------------------------------------------------- SLIFCell


@st.composite
def _slif_cells(draw):
    return dynax.SLIFCell(
        N,
        **uniform_floats(draw, tau_m=(2.0, 30.0), resist_m=(0.5, 3.0), thr=(0.2, 1.0)),
        resist_inh=draw(st.sampled_from([0.0, 0.2])),
        **uniform_floats(draw, thr_gain=(0.0, 0.05), thr_leak=(0.0, 0.01)),
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
SLIF = _entry(
    dynax.SLIFCell,
    1,
    vector(N, -3.0, 3.0),
    example=lambda key: dynax.SLIFCell(N, 10.0, 1.0, 0.5, key=key),
    cells=_slif_cells(),
    state=_slif_state,
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
        **uniform_floats(draw, resist_m=(0.5, 3.0), thr_base=(0.1, 0.6), thr_gain=(0.0, 0.05)),
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


WTAS = _entry(
    dynax.WTASCell,
    1,
    vector(N, -3.0, 3.0),
    example=lambda key: dynax.WTASCell(N, key=key),
    cells=_wtas_cells(),
    state=_wtas_state,
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
        **uniform_floats(
            draw,
            tau_m=(2.0, 30.0),
            thr=(-55.0, -45.0),
            v_rest=(-70.0, -60.0),
            v_reset=(-75.0, -55.0),
        ),
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


LIF_SRM = _entry(
    dynax.LIFSRM,
    8,
    vector(N, -20.0, 20.0),
    example=lambda key: dynax.LIFSRM(N, 10.0),
    cells=_lif_srm_cells(),
    state=_lif_srm_state,
    dt=st.floats(0.1, 1.0),
    retrace=_retrace(dynax.LIFSRM, "tau_m", (5.0, 10.0, 20.0)),
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
