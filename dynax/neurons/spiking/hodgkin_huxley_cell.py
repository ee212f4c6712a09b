"""HodgkinHuxleyCell: the Hodgkin–Huxley (1952) squid-axon model (ngclearn's
`HodgkinHuxleyCell`)."""

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..._fields import parameter, size, switch
from ..._typing import Param, TimeStep
from ..._validate import NONNEGATIVE, POSITIVE
from ...integrate import AbstractStepper, stepper
from ...surrogate import AbstractSurrogate, ArcTan, spike_surrogate
from ._base import AbstractSpikingCell, ClockedState, CurrentInputs, clock, reset_potential

RATE_VOLTAGE_RANGE = (-200.0, 200.0)
"""The rate functions are evaluated at `v` clipped to this range (mV from rest): far
outside where they were fitted, it only keeps their exponentials finite."""

_SERIES_BELOW = 1e-3  # |x| under which x/(eˣ − 1) is taken from its Taylor series


def _x_over_expm1(x: Array) -> Array:
    """`x/(eˣ − 1)`, continuous at its removable singularity `x = 0` (where it is 1), with
    finite derivatives there too (the series `1 − x/2 + x²/12` near 0)."""
    small = jnp.abs(x) < _SERIES_BELOW
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 - 0.5 * x + x * x / 12.0, safe / jnp.expm1(safe))


def rates(v: ArrayLike) -> tuple[Array, Array, Array, Array, Array, Array]:
    """`(α_n, β_n, α_m, β_m, α_h, β_h)` at the voltage `v` (mV from rest):

    α_n = 0.01(10 − v)/(e^{(10−v)/10} − 1), β_n = 0.125e^{−v/80},
    α_m = 0.1(25 − v)/(e^{(25−v)/10} − 1), β_m = 4e^{−v/18},
    α_h = 0.07e^{−v/20}, β_h = 1/(e^{(30−v)/10} + 1).

    α_n and α_m are 0/0 at v = 10 and v = 25; their limits, 0.1 and 1, are used there.
    `v` is clipped to `RATE_VOLTAGE_RANGE` first.
    """
    v = jnp.clip(jnp.asarray(v), *RATE_VOLTAGE_RANGE)
    alpha_n = 0.1 * _x_over_expm1((10.0 - v) / 10.0)
    beta_n = 0.125 * jnp.exp(-v / 80.0)
    alpha_m = _x_over_expm1((25.0 - v) / 10.0)
    beta_m = 4.0 * jnp.exp(-v / 18.0)
    alpha_h = 0.07 * jnp.exp(-v / 20.0)
    beta_h = jax.nn.sigmoid((v - 30.0) / 10.0)
    return alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h


@jax.custom_jvp
def clip_gate(x: Array) -> Array:
    """`x` clipped to [0, 1], its derivative 0 at and beyond the bounds (a saturated gate)."""
    return jnp.clip(x, 0.0, 1.0)


@clip_gate.defjvp
def _clip_gate_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    inside = (x > 0.0) & (x < 1.0)
    return clip_gate(x), jnp.where(inside, dx, jnp.zeros_like(dx))


def steady_gates(v: ArrayLike) -> tuple[Array, Array, Array]:
    """The steady-state gates `x∞ = α_x/(α_x + β_x)` for `x = n, m, h` at the voltage `v`."""
    alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h = rates(v)
    return (
        alpha_n / (alpha_n + beta_n),
        alpha_m / (alpha_m + beta_m),
        alpha_h / (alpha_h + beta_h),
    )


class HodgkinHuxleyCellState(ClockedState):
    """`v`: membrane potential (mV from rest); `n`, `m`, `h`: gate open probabilities;
    `s`: spikes of the last step; `tols`: time of the last spike (0 before the first);
    `t`: the clock."""

    v: Float[Array, " n"]
    n: Float[Array, " n"]
    m: Float[Array, " n"]
    h: Float[Array, " n"]
    s: Float[Array, " n"]


class HodgkinHuxleyCell(AbstractSpikingCell):
    r"""The Hodgkin–Huxley model (J. Physiol. 117, 1952), voltage measured from rest.

    With `J = resist_m·j`,

    $$τ_v \frac{dv}{dt} = J − g_{Na}m³h(v − v_{Na}) − g_K n⁴(v − v_K) − g_L(v − v_L),$$
    $$\frac{dx}{dt} = α_x(v)(1 − x) − β_x(v)·x, \quad x ∈ \{n, m, h\},$$

    with the rate functions of `rates`. `(v, n, m, h)` is integrated over `dt` as one
    system by the named integrator (J held fixed; the rates follow v inside every stage),
    then the gates are clipped to [0, 1] and `s = 1[v > thr]` on the new voltage, with the
    surrogate derivative of `surrogate` (default `ArcTan(alpha=0.2)`, a few mV wide).
    Without `spike_reset`, `s` stays 1 for every step that v spends above `thr`; with it, a
    spiking unit is put to `v_reset` with its gates at their steady state there (a switch:
    no surrogate gradient through the reset). `tols` records the clock at the end
    of the step where `s = 1`. The initial state is the resting state: `v = 0` and the
    gates at their steady state at 0.

    Guards: the 0/0 of α_n at v = 10 and α_m at v = 25 are replaced by their limits; the
    rates are evaluated at v clipped to `RATE_VOLTAGE_RANGE` (their exponentials would
    overflow far below rest, e.g. under j = −1e3); the gates, probabilities that the exact
    flow keeps in [0, 1], are clipped there wherever the vector field reads them (every
    stage) and after the step: an explicit step overshoots when `dt·(α + β) > 1`, which the
    rates reach at very negative v for any usual dt (β_m(−200) ≈ 2.7e5), and an RK stage
    with a gate far outside [0, 1] would make the conductance explode. While `dt·(α + β)`
    is small (≤ 0.13 at dt = 0.01 for v in [−20, 120] mV) the stages stay inside
    [0, 1] and the clips change nothing. Stable domain: the voltage equation is
    linear in v with conductance at most `G = g_Na + g_K + g_L`, so an explicit stepper
    stays finite for any finite J when `dt·G/τ_v` lies in its stability interval (≤ 2 for
    Euler and the RK2 family, ≤ 2.78 for RK4: dt ≲ 0.019·τ_v at the defaults). Each gate
    relaxes at the rate `α_x + β_x`, which grows steeply below rest (β_m ≈ 1.6e4/ms at
    v = −150 mV): an explicit step leaves its stable domain once `dt·(α_x + β_x) > 2`. The
    clips keep such a run finite, and pin the overshooting gate to its bound; a gate held at
    a bound is saturated and carries no derivative (`clip_gate`), so the gradient stays
    finite too (through the pinned gate it would grow by `|1 − dt·(α + β)|` every step and
    overflow). `integration_type="exponential_euler"` solves each gate's equation exactly
    given v (the Rush–Larsen scheme of cardiac and neuron simulators; the voltage equation
    too, given the gates), is stable for any `dt`, and is the accurate choice there.

    **Arguments** (times in ms, voltages in mV from rest; every parameter is a scalar or one
    value per unit):

    - `n_units`: number of units.
    - `tau_v`: membrane time constant (capacitance; > 0).
    - `resist_m`: multiplies the injected current.
    - `v_Na`, `v_K`, `v_L`: reversal potentials of the sodium, potassium and leak
        currents (mV from rest).
    - `g_Na`, `g_K`, `g_L`: their maximal conductances (≥ 0).
    - `thr`: spike threshold on `v`.
    - `spike_reset`: put a spiking unit to `v_reset`, gates at their steady state there.
    - `v_reset`: the voltage after a spike (if `spike_reset`).
    - `integration_type`: a name of `dynax.integrate.INTEGRATORS` or a stepper.
    - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=0.2)`).

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    State: ClassVar = HodgkinHuxleyCellState
    Inputs: ClassVar = CurrentInputs

    n_units: int = size()
    tau_v: Param = parameter(constraint=POSITIVE)
    resist_m: Param = parameter(1.0)
    v_Na: Param = parameter(115.0)
    v_K: Param = parameter(-35.0)
    v_L: Param = parameter(10.6)
    g_Na: Param = parameter(100.0, NONNEGATIVE)
    g_K: Param = parameter(5.0, NONNEGATIVE)
    g_L: Param = parameter(0.3, NONNEGATIVE)
    thr: Param = parameter(4.0)
    spike_reset: bool = switch(False)
    v_reset: Param = parameter(0.0)
    integration_type: AbstractStepper = stepper("euler")
    surrogate: AbstractSurrogate = spike_surrogate(ArcTan(alpha=0.2))

    def vector_field(
        self,
        t: Float[Array, ""],
        y: tuple[Array, Array, Array, Array],
        args: Float[Array, " n"],
    ) -> tuple[Array, Array, Array, Array]:
        """`(dv/dt, dn/dt, dm/dt, dh/dt)` at `y = (v, n, m, h)` under the scaled current
        `args = resist_m·j` (diffrax's signature; autonomous, `t` is unused)."""
        v = y[0]
        n, m, h = (clip_gate(x) for x in y[1:])
        alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h = rates(v)
        sodium = self.g_Na * m * m * m * h * (v - self.v_Na)
        potassium = self.g_K * (n * n) * (n * n) * (v - self.v_K)
        leak = self.g_L * (v - self.v_L)
        dv = (args - sodium - potassium - leak) / self.tau_v
        dn = alpha_n * (1.0 - n) - beta_n * n
        dm = alpha_m * (1.0 - m) - beta_m * m
        dh = alpha_h * (1.0 - h) - beta_h * h
        return dv, dn, dm, dh

    def init_state(self, *, key: PRNGKeyArray | None = None) -> HodgkinHuxleyCellState:
        """The resting state: `v = 0`, gates at their steady state at 0, no spike,
        `tols = 0`, `t = 0` (the reference's reset, not its constructor)."""
        dtype = self.tau_v.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        n, m, h = (x.astype(dtype) for x in steady_gates(zeros))
        return HodgkinHuxleyCellState(
            v=zeros, n=n, m=m, h=h, s=zeros, tols=zeros, t=jnp.zeros((), dtype)
        )

    def step(
        self,
        state: HodgkinHuxleyCellState,
        inputs: CurrentInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> HodgkinHuxleyCellState:
        """Integrates `(v, n, m, h)` over `dt`, then spikes (and resets if `spike_reset`);
        `key` is unused."""
        self.check_step(state, inputs, dt)
        y = (state.v, state.n, state.m, state.h)
        v, n, m, h = self.integrate(state.t, y, dt, self.resist_m * inputs.j)
        n, m, h = (clip_gate(x) for x in (n, m, h))
        s = self.fire(v, self.thr)
        if self.spike_reset:
            n_reset, m_reset, h_reset = steady_gates(self.v_reset)
            v = reset_potential(v, s, self.v_reset)
            n = reset_potential(n, s, n_reset)
            m = reset_potential(m, s, m_reset)
            h = reset_potential(h, s, h_reset)
        t, tols = clock(state, s, dt)
        return state.replace(v=v, n=n, m=m, h=h, s=s, tols=tols, t=t)
