"""RAFCell: the resonate-and-fire neuron of Izhikevich (2001) (ngclearn's `RAFCell`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import (
    as_param,
    check_finite,
    check_input,
    check_int,
    check_positive,
    check_time_step,
    check_unit_param,
)
from ...integrate import INTEGRATORS, get_integrator
from ...surrogate import AbstractSurrogate, ArcTan
from ._spikes import advance_clock, computed_once, last_spike_times, reset_potential

SYMPLECTIC_EULER = "symplectic_euler"
"""The name of the semi-implicit (symplectic) Euler scheme of `RAFCell`: `w` first with the
old `v`, then `v` with the new `w`."""


class RAFCellState(eqx.Module):
    """`v`: voltage; `w`: angular driver; `s`: spikes of the last step; `tols`: time of the
    last spike (0 before the first); `t`: the clock."""

    v: Float[Array, " n"]
    w: Float[Array, " n"]
    s: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class RAFCellInputs(eqx.Module):
    """`j`: the input current (scaled by `resist_v`)."""

    j: Float[Array, " n"]


class RAFCell(AbstractCell):
    r"""The resonate-and-fire neuron (Izhikevich, Neural Networks 14, 2001): a damped
    oscillator that fires when its voltage crosses a threshold.

    With `J = resist_v·j`, ω = `omega` and b = `dampen_factor`,

    $$τ_w \frac{dw}{dt} = b·w − ω·v + J, \qquad τ_v \frac{dv}{dt} = ω·w + b·v.$$

    Then `s = 1[v > thr]` on the new voltage, with the surrogate derivative of `surrogate`
    (default `ArcTan(alpha=2)`, for a voltage of order 1); with `post_spike_reset=True`
    (default) a spiking unit is put to `(v_reset, w_reset)` (a switch: no surrogate
    gradient through the reset). `tols` records the clock at the end of the step where
    `s = 1`.

    Integration: the default, `"symplectic_euler"`, is the semi-implicit (Euler–Cromer)
    scheme `w⁺ = w + dt·f_w(v, w)`, then `v⁺ = v + dt·f_v(v, w⁺)`. It is first order like
    forward Euler, but its step scales phase-space area by (1 + dt·b/τ)² (τ_v = τ_w = τ),
    the damping alone, where forward Euler adds dt²ω²/τ² and so spirals outwards: the
    semi-implicit scheme is stable for `dt·ω/τ < 2√(1 + dt·b/τ)` (dt < 0.181 at the defaults
    b = −1, ω = 10, τ = 1), forward Euler only if `b < 0` and `dt < 2|b|τ/(b² + ω²)`
    (dt < 0.0198 at the defaults). Any name of `dynax.integrate.INTEGRATORS` integrates
    `(v, w)` as one system with that scheme instead. Between spikes the cell is linear:
    without `post_spike_reset` a scheme stays bounded exactly where `dt·(b ± iω)/τ` lies in
    its stability region; the reset also catches every upward swing.

    Differences from ngclearn 3.2.3: ngclearn labels its semi-implicit scheme `"euler"`;
    here `"euler"` is forward Euler and the reference's scheme is `"symplectic_euler"` (the
    default, so the defaults behave alike). ngclearn's `"midpoint"` applies a midpoint step
    to w with v frozen, then to v with the new w frozen (first order); here midpoint
    integrates `(v, w)` as one system (second order). Integrator names mean what they say
    (ngclearn runs its Euler ordering for heun/ralston/rk4).
    """

    State: ClassVar = RAFCellState
    Inputs: ClassVar = RAFCellInputs

    tau_v: Param
    tau_w: Param
    thr: Param
    omega: Param
    dampen_factor: Param
    v_reset: Param
    w_reset: Param
    v0: Param
    w0: Param
    resist_v: Param
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)
    post_spike_reset: bool = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_v: ParamLike = 1.0,
        tau_w: ParamLike = 1.0,
        thr: ParamLike = 1.0,
        omega: ParamLike = 10.0,
        dampen_factor: ParamLike = -1.0,
        v_reset: ParamLike = 0.0,
        w_reset: ParamLike = 0.0,
        v0: ParamLike = 0.0,
        w0: ParamLike = 0.0,
        resist_v: ParamLike = 1.0,
        post_spike_reset: bool = True,
        integration_type: str = SYMPLECTIC_EULER,
        surrogate: AbstractSurrogate | None = None,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_v`: voltage time constant (> 0).
        - `tau_w`: angular-driver time constant (> 0).
        - `thr`: spike threshold on `v`.
        - `omega`: angular frequency ω.
        - `dampen_factor`: damping b (< 0 damps the oscillation).
        - `v_reset`, `w_reset`: the state after a spike (if `post_spike_reset`).
        - `v0`, `w0`: the initial state.
        - `resist_v`: multiplies the input current.
        - `post_spike_reset`: put a spiking unit to `(v_reset, w_reset)`.
        - `integration_type`: `"symplectic_euler"` (default) or a name of
            `dynax.integrate.INTEGRATORS`.
        - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=2)`).

        Every parameter but `n_units` and the flags is a scalar or one value per unit.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        values = dict(
            tau_v=tau_v,
            tau_w=tau_w,
            thr=thr,
            omega=omega,
            dampen_factor=dampen_factor,
            v_reset=v_reset,
            w_reset=w_reset,
            v0=v0,
            w0=w0,
            resist_v=resist_v,
        )
        for name, value in values.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            if name in ("tau_v", "tau_w"):
                check_positive(owner, name, param)
            else:
                check_finite(owner, name, param)
            setattr(self, name, param)
        if not isinstance(post_spike_reset, bool):
            raise ValueError(
                f"{owner}: `post_spike_reset` must be a bool, got {post_spike_reset!r}."
            )
        self.post_spike_reset = post_spike_reset
        if integration_type != SYMPLECTIC_EULER and integration_type not in INTEGRATORS:
            known = ", ".join(repr(n) for n in (SYMPLECTIC_EULER, *INTEGRATORS))
            raise ValueError(
                f"{owner}: `integration_type` must be one of {known}, got {integration_type!r}."
            )
        self.integration_type = integration_type
        if surrogate is None:
            surrogate = ArcTan(alpha=2.0)
        elif not isinstance(surrogate, AbstractSurrogate):
            raise ValueError(
                f"{owner}: `surrogate` must be a dynax.surrogate.AbstractSurrogate (e.g. "
                f"ArcTan(alpha=2.0)), got {surrogate!r}."
            )
        self.surrogate = surrogate

    def vector_field(
        self, t: Float[Array, ""], y: tuple[Array, Array], args: Float[Array, " n"]
    ) -> tuple[Array, Array]:
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the scaled current `args = resist_v·j`
        (diffrax's signature; autonomous, `t` is unused)."""
        v, w = y
        b = self.dampen_factor
        dv = (self.omega * w + b * v) / self.tau_v
        dw = (b * w - self.omega * v + args) / self.tau_w
        return dv, dw

    def init_state(self, *, key: PRNGKeyArray | None = None) -> RAFCellState:
        """`v = v0`, `w = w0`, no spike, `tols = 0`, `t = 0` (the reference's reset)."""
        dtype = self.tau_v.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return RAFCellState(
            v=zeros + self.v0.astype(dtype),
            w=zeros + self.w0.astype(dtype),
            s=zeros,
            tols=zeros,
            t=jnp.zeros((), dtype),
        )

    def step(
        self,
        state: RAFCellState,
        inputs: RAFCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> RAFCellState:
        """Integrates `(v, w)` over `dt`, then spikes (and resets if `post_spike_reset`);
        `key` is unused."""
        owner = type(self).__name__
        check_input(owner, "j", inputs.j, (self.n_units,))
        check_time_step(owner, dt)
        current = self.resist_v * inputs.j
        y = (state.v, state.w)
        if self.integration_type == SYMPLECTIC_EULER:
            _, dw = self.vector_field(state.t, y, current)
            w = state.w + dt * dw
            dv, _ = self.vector_field(state.t, (state.v, w), current)
            v = state.v + dt * dv
        else:
            integrator = get_integrator(self.integration_type)
            v, w = integrator(self.vector_field, state.t, y, dt, current)
        v, w = computed_once((v, w))
        s = self.surrogate(v - self.thr)
        if self.post_spike_reset:
            v = reset_potential(v, s, self.v_reset)
            w = reset_potential(w, s, self.w_reset)
        t = advance_clock(state.t, dt)
        return RAFCellState(
            v=v.astype(state.v.dtype),
            w=w.astype(state.w.dtype),
            s=s.astype(state.s.dtype),
            tols=last_spike_times(state.tols, s, t),
            t=t,
        )
