"""IzhikevichCell: the two-variable spiking model of Izhikevich (2003) (ngclearn's
`IzhikevichCell`)."""

from typing import ClassVar

import equinox as eqx
import jax
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
    concrete,
)
from ...integrate import check_integrator, get_integrator
from ...surrogate import AbstractSurrogate, ArcTan
from ._spikes import advance_clock, computed_once, last_spike_times, reset_potential


class IzhikevichCellState(eqx.Module):
    """`v`: membrane potential (mV); `w`: recovery variable; `s`: spikes of the last step;
    `tols`: time of the last spike (0 before the first); `t`: the clock."""

    v: Float[Array, " n"]
    w: Float[Array, " n"]
    s: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class IzhikevichCellInputs(eqx.Module):
    """`j`: the input current (scaled by `resist_m`)."""

    j: Float[Array, " n"]


class IzhikevichCell(AbstractCell):
    r"""Izhikevich's simple model of spiking neurons (IEEE TNN 14(6), 2003).

    With `J = resist_m·j`, Izhikevich's `a = 1/tau_w`, `b = coupling_factor`,
    `c = v_reset` and `d = w_reset`,

    $$τ_m \frac{dv}{dt} = 0.04v² + 5v + 140 − w + J, \qquad
      τ_w \frac{dw}{dt} = b·v − w.$$

    `(v, w)` is integrated over `dt` as one system by the named integrator (J held fixed);
    then, as in the paper, the spike is read on the new voltage, `s = 1[v > v_thr]`
    (`v_thr` is the spike apex, 30 mV), and a spiking unit is reset: `v ← c`, `w ← w + d`
    (the integrated `w`). `tols` records the clock at the end of the step where `s = 1`.
    The spike has the surrogate derivative of `surrogate` (default `ArcTan(alpha=0.2)`,
    a few mV wide); the reset is a switch (`_spikes.reset_potential`: no surrogate
    gradient through it), so gradients reach spikes where they are outputs.

    Guard: the vector field is evaluated at `min(v, v_thr)`. Above the apex the model is
    not defined (the spike has happened and v is reset); explicit steppers can put a stage
    there within the step in which a unit fires, and the quadratic would then overflow under
    large currents (e.g. RK4, dt = 1, J = 1e3 gives inf, then NaN). A step whose stages
    stay below the apex is unchanged, and Euler evaluates the field only at the state,
    which after any step is at most the apex (or reset to c).

    Differences from ngclearn 3.2.3: ngclearn tests the spike on the voltage *before* the
    step and adds `d` to the old `w` (spec §9, defect 13), so each spike is reported one
    step late, v stays above the apex for one recorded step, and the step of the spike
    discards its integration; here each spike is reported in the step in which v crosses
    the apex and lands, one step earlier, on the same post-reset state (with Euler).
    `v` and `w` are one system (ngclearn's midpoint freezes the other variable: first
    order); integrator names mean what they say (ngclearn runs Euler for heun/ralston/rk4);
    the guard above; one sample per cell (vmap), not a hard-coded batch of 1.
    """

    State: ClassVar = IzhikevichCellState
    Inputs: ClassVar = IzhikevichCellInputs

    tau_m: Param
    resist_m: Param
    v_thr: Param
    v_reset: Param
    tau_w: Param
    w_reset: Param
    coupling_factor: Param
    v0: Param
    w0: Param
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike = 1.0,
        resist_m: ParamLike = 1.0,
        v_thr: ParamLike = 30.0,
        v_reset: ParamLike = -65.0,
        tau_w: ParamLike = 50.0,
        w_reset: ParamLike = 8.0,
        coupling_factor: ParamLike = 0.2,
        v0: ParamLike = -65.0,
        w0: ParamLike = -14.0,
        integration_type: str = "euler",
        surrogate: AbstractSurrogate | None = None,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_m`: membrane time constant (> 0).
        - `resist_m`: membrane resistance, multiplies `j`.
        - `v_thr`: spike apex (mV); `v_reset` must lie below it.
        - `v_reset`: voltage after a spike, Izhikevich's `c`.
        - `tau_w`: recovery time constant (> 0), `1/a`.
        - `w_reset`: recovery increment at a spike, Izhikevich's `d`.
        - `coupling_factor`: sensitivity of the recovery to the voltage, Izhikevich's `b`.
        - `v0`, `w0`: the initial state.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS`.
        - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=0.2)`).

        Every parameter but `n_units` is a scalar or one value per unit.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        values = dict(
            tau_m=tau_m,
            resist_m=resist_m,
            v_thr=v_thr,
            v_reset=v_reset,
            tau_w=tau_w,
            w_reset=w_reset,
            coupling_factor=coupling_factor,
            v0=v0,
            w0=w0,
        )
        for name, value in values.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            if name in ("tau_m", "tau_w"):
                check_positive(owner, name, param)
            else:
                check_finite(owner, name, param)
            setattr(self, name, param)
        _check_below(owner, "v_reset", self.v_reset, "v_thr", self.v_thr)
        check_integrator(owner, integration_type)
        self.integration_type = integration_type
        if surrogate is None:
            surrogate = ArcTan(alpha=0.2)
        elif not isinstance(surrogate, AbstractSurrogate):
            raise ValueError(
                f"{owner}: `surrogate` must be a dynax.surrogate.AbstractSurrogate (e.g. "
                f"ArcTan(alpha=0.2)), got {surrogate!r}."
            )
        self.surrogate = surrogate

    def vector_field(
        self, t: Float[Array, ""], y: tuple[Array, Array], args: Float[Array, " n"]
    ) -> tuple[Array, Array]:
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the scaled current `args = resist_m·j`
        (diffrax's signature; autonomous, `t` is unused)."""
        v, w = y
        v = jnp.minimum(v, self.v_thr)
        dv = (0.04 * v * v + 5.0 * v + 140.0 - w + args) / self.tau_m
        dw = (self.coupling_factor * v - w) / self.tau_w
        return dv, dw

    def init_state(self, *, key: PRNGKeyArray | None = None) -> IzhikevichCellState:
        """`v = v0`, `w = w0`, no spike, `tols = 0`, `t = 0` (the reference's reset)."""
        dtype = self.tau_m.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return IzhikevichCellState(
            v=zeros + self.v0.astype(dtype),
            w=zeros + self.w0.astype(dtype),
            s=zeros,
            tols=zeros,
            t=jnp.zeros((), dtype),
        )

    def step(
        self,
        state: IzhikevichCellState,
        inputs: IzhikevichCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> IzhikevichCellState:
        """Integrates `(v, w)` over `dt`, then spikes and resets (see the class docstring);
        `key` is unused."""
        owner = type(self).__name__
        check_input(owner, "j", inputs.j, (self.n_units,))
        check_time_step(owner, dt)
        integrator = get_integrator(self.integration_type)
        current = self.resist_m * inputs.j
        v, w = computed_once(
            integrator(self.vector_field, state.t, (state.v, state.w), dt, current)
        )
        s = self.surrogate(v - self.v_thr)
        v = reset_potential(v, s, self.v_reset)
        w = w + self.w_reset * jax.lax.stop_gradient(s)
        t = advance_clock(state.t, dt)
        dtype = state.v.dtype
        return IzhikevichCellState(
            v=v.astype(dtype),
            w=w.astype(state.w.dtype),
            s=s.astype(state.s.dtype),
            tols=last_spike_times(state.tols, s, t),
            t=t,
        )


def _check_below(owner: str, name: str, value: Array, bound_name: str, bound: Array) -> None:
    low, high = concrete(value), concrete(bound)
    if low is None or high is None:
        return
    if not (low < high).all():
        raise ValueError(
            f"{owner}: `{name}` must lie below `{bound_name}` for every unit, got {name}="
            f"{low.tolist()} and {bound_name}={high.tolist()}. A reset at or above the "
            "threshold would fire on every step."
        )
