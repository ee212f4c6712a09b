"""FitzhughNagumoCell: the FitzHugh–Nagumo model (ngclearn's `FitzhughNagumoCell`)."""

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
from ...integrate import check_integrator, get_integrator
from ...surrogate import AbstractSurrogate, ArcTan
from ._spikes import advance_clock, computed_once, last_spike_times, reset_potential


class FitzhughNagumoCellState(eqx.Module):
    """`v`: voltage (dimensionless); `w`: recovery variable; `s`: spikes of the last step;
    `tols`: time of the last spike (0 before the first); `t`: the clock."""

    v: Float[Array, " n"]
    w: Float[Array, " n"]
    s: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class FitzhughNagumoCellInputs(eqx.Module):
    """`j`: the input current (scaled by `resist_m`)."""

    j: Float[Array, " n"]


class FitzhughNagumoCell(AbstractCell):
    r"""The FitzHugh–Nagumo model (FitzHugh 1961; Nagumo, Arimoto & Yoshizawa 1962).

    With `J = resist_m·j`, α = `alpha`, β = `beta`, γ = `gamma`,

    $$τ_m \frac{dv}{dt} = v − \frac{v³}{γ} − w + J, \qquad
      τ_w \frac{dw}{dt} = v + α − β·w.$$

    `(v, w)` is integrated over `dt` as one system by the named integrator (J held fixed);
    then `s = 1[v > v_thr]` on the new voltage, with the surrogate derivative of `surrogate`
    (default `ArcTan(alpha=2)`, for a voltage of order 1). With `spike_reset=True` a spiking
    unit is put back to `(v0, w0)` (a switch: no surrogate gradient through the reset).
    `tols` records the clock at the end of the step where `s = 1`.

    Stable domain: the model stays finite for every finite input (the cubic is
    dissipative), but an explicit step diverges when `dt·|∂f/∂v|` leaves the stepper's
    stability region, with `|∂f/∂v| = |1 − 3v²/γ|/τ_m` and `v ≈ (γ|J|)^{1/3}` under a large
    current: for |J| ≤ 1e3 (γ = 3) Euler and the RK2 family need `dt ≲ 0.0095·τ_m`, RK4
    `dt ≲ 0.013·τ_m`. No guard is applied (it would change the model); take a smaller dt.

    Differences from ngclearn 3.2.3: `v` and `w` are one system (ngclearn's midpoint
    freezes the other variable at its old value, a first-order scheme; its Euler step is the
    same as here); integrator names mean what they say (ngclearn runs Euler for
    heun/ralston/rk4); one sample per cell (vmap), not a hard-coded batch of 1.
    """

    State: ClassVar = FitzhughNagumoCellState
    Inputs: ClassVar = FitzhughNagumoCellInputs

    tau_m: Param
    resist_m: Param
    tau_w: Param
    alpha: Param
    beta: Param
    gamma: Param
    v0: Param
    w0: Param
    v_thr: Param
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)
    spike_reset: bool = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike = 1.0,
        resist_m: ParamLike = 1.0,
        tau_w: ParamLike = 12.5,
        alpha: ParamLike = 0.7,
        beta: ParamLike = 0.8,
        gamma: ParamLike = 3.0,
        v0: ParamLike = 0.0,
        w0: ParamLike = 0.0,
        v_thr: ParamLike = 1.07,
        spike_reset: bool = False,
        integration_type: str = "euler",
        surrogate: AbstractSurrogate | None = None,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_m`: voltage time constant (> 0).
        - `resist_m`: multiplies the input current.
        - `tau_w`: recovery time constant (> 0).
        - `alpha`: recovery shift α.
        - `beta`: recovery decay β.
        - `gamma`: divisor of the cubic term γ (> 0).
        - `v0`, `w0`: the initial state, and the state after a spike if `spike_reset`.
        - `v_thr`: spike threshold on `v`.
        - `spike_reset`: put a spiking unit back to `(v0, w0)`.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS`.
        - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=2)`).

        Every parameter but `n_units` and the flags is a scalar or one value per unit.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        values = dict(
            tau_m=tau_m,
            resist_m=resist_m,
            tau_w=tau_w,
            alpha=alpha,
            beta=beta,
            gamma=gamma,
            v0=v0,
            w0=w0,
            v_thr=v_thr,
        )
        for name, value in values.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            if name in ("tau_m", "tau_w", "gamma"):
                check_positive(owner, name, param)
            else:
                check_finite(owner, name, param)
            setattr(self, name, param)
        if not isinstance(spike_reset, bool):
            raise ValueError(f"{owner}: `spike_reset` must be a bool, got {spike_reset!r}.")
        self.spike_reset = spike_reset
        check_integrator(owner, integration_type)
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
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the scaled current `args = resist_m·j`
        (diffrax's signature; autonomous, `t` is unused)."""
        v, w = y
        dv = (v - v * v * v / self.gamma - w + args) / self.tau_m
        dw = (v + self.alpha - self.beta * w) / self.tau_w
        return dv, dw

    def init_state(self, *, key: PRNGKeyArray | None = None) -> FitzhughNagumoCellState:
        """`v = v0`, `w = w0`, no spike, `tols = 0`, `t = 0` (the reference's reset)."""
        dtype = self.tau_m.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return FitzhughNagumoCellState(
            v=zeros + self.v0.astype(dtype),
            w=zeros + self.w0.astype(dtype),
            s=zeros,
            tols=zeros,
            t=jnp.zeros((), dtype),
        )

    def step(
        self,
        state: FitzhughNagumoCellState,
        inputs: FitzhughNagumoCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> FitzhughNagumoCellState:
        """Integrates `(v, w)` over `dt`, then spikes (and resets if `spike_reset`); `key`
        is unused."""
        owner = type(self).__name__
        check_input(owner, "j", inputs.j, (self.n_units,))
        check_time_step(owner, dt)
        integrator = get_integrator(self.integration_type)
        current = self.resist_m * inputs.j
        v, w = computed_once(
            integrator(self.vector_field, state.t, (state.v, state.w), dt, current)
        )
        s = self.surrogate(v - self.v_thr)
        if self.spike_reset:
            v = reset_potential(v, s, self.v0)
            w = reset_potential(w, s, self.w0)
        t = advance_clock(state.t, dt)
        return FitzhughNagumoCellState(
            v=v.astype(state.v.dtype),
            w=w.astype(state.w.dtype),
            s=s.astype(state.s.dtype),
            tols=last_spike_times(state.tols, s, t),
            t=t,
        )
