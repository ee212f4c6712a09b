"""LIFCell: leaky integrate-and-fire units with a refractory period and an adaptive
threshold (ngclearn's `LIFCell`)."""

from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..._core import AbstractCell, require_key
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import (
    as_param,
    check_finite,
    check_input,
    check_int,
    check_nonnegative,
    check_positive,
    check_shape,
    check_time_step,
    check_unit_param,
    concrete,
)
from ...integrate import check_integrator, get_integrator
from ...surrogate import AbstractSurrogate, ArcTan, get_surrogate
from ._spikes import (
    advance_clock,
    computed_once,
    keep_one_random_spike,
    keep_spike_at_max,
    last_spike_times,
    refractory_update,
    reset_potential,
)


class LIFCellState(eqx.Module):
    """`v`: membrane potential (mV); `s`: spikes (after the one-spike rules); `s_raw`: spikes
    before them; `rfr`: time since the last spike; `thr_theta`: adaptive threshold shift;
    `tols`: time of the last spike; `surrogate`: the reference's estimate
    `σ′(v′ − θ)·R·dt/τ_m` of ds/dj (an output for parity, not what `jax.grad` uses);
    `v_thr`: the threshold of the next step, `thr + thr_theta`; `t`: the clock."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    s_raw: Float[Array, " n"]
    rfr: Float[Array, " n"]
    thr_theta: Float[Array, " n"]
    tols: Float[Array, " n"]
    surrogate: Float[Array, " n"]
    v_thr: Float[Array, " n"]
    t: Float[Array, ""]


class LIFCellInputs(eqx.Module):
    """`j`: the input current (multiplied by `resist_m`)."""

    j: Float[Array, " n"]


class LIFCell(AbstractCell):
    r"""Leaky integrate-and-fire units with a refractory period and an adaptive threshold.

    With `J = R·j`, the refractory mask `m = 1[rfr ≥ refract_time]` and the threshold
    `θ = thr + thr_theta` (both from the start of the step), J·m is held fixed and

    $$τ_m \frac{dv}{dt} = g_L·(v_{rest} − v) + J·m$$

    is integrated over `dt` to v′ (`g_L = conduct_leak`; 0 gives an IF cell). Then:

    - `s_raw = 1[v′ > θ]` (forward value; the gradient is the derivative of `surrogate`,
      default `ArcTan(alpha=0.2)`, the arctan the reference uses);
    - `rfr⁺ = (rfr + dt)·(1 − s_raw)`; `v⁺ = v_reset` where `s_raw`, then
      `v⁺ = max(v⁺, v_min)` if `v_min` is given;
    - `surrogate⁺ = σ′(v′ − θ)·R·dt/τ_m` (the reference's ds/dj estimate);
    - `s = s_raw`, except: `one_spike` keeps one spike chosen uniformly at random among the
      units that spiked (draws with `key`); `max_one_spike` keeps only the spike of the unit
      with the largest voltage at the start of the step (if that unit spiked);
    - where `tau_theta > 0`: `thr_theta⁺ = thr_theta·exp(−dt/τ_θ) + theta_plus·s_raw`
      (`tau_theta = 0` switches adaptation off); `v_thr⁺ = thr + thr_theta⁺`;
    - `tols⁺ = t + dt` where `s = 1`.

    Resets (`v`, and the jumps of `thr_theta`) are switches: no surrogate gradient flows
    through them (`_spikes.reset_potential`).

    Homeostasis across resets: ngclearn's `reset` keeps `thr_theta`. Here a state is only
    what the caller keeps: `cell.init_state(thr_theta=old_state.thr_theta)` starts a new
    sequence at rest with the adapted thresholds (the reference's reset);
    `cell.init_state()` starts from `thr_theta = 0` (the reference at construction).

    Differences from ngclearn 3.2.3: `surrogate_type` is honoured (ngclearn always uses
    arctan with α = 0.2, spec §9 defect 11; the default here is that same surrogate, and it
    also shapes the `surrogate` output); one sample per cell, any batch by `vmap` (ngclearn
    hard-codes a batch of 1); integrator names mean what they say (ngclearn runs Euler
    for heun/ralston/rk4); `v_thr` is always `thr + thr_theta` (ngclearn leaves it at `thr`
    when `tau_theta = 0`); `one_spike` never picks a unit that did not spike; `tols`
    records the end of the step, `t + dt`, which is the `t` ngclearn is passed.
    """

    State: ClassVar = LIFCellState
    Inputs: ClassVar = LIFCellInputs

    tau_m: Param
    resist_m: Param
    thr: Param
    v_rest: Param
    v_reset: Param
    conduct_leak: Param
    tau_theta: Param
    theta_plus: Param
    refract_time: Param
    v_min: Param | None
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)
    one_spike: bool = eqx.field(static=True)
    max_one_spike: bool = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike,
        resist_m: ParamLike = 1.0,
        thr: ParamLike = -52.0,
        v_rest: ParamLike = -65.0,
        v_reset: ParamLike = -60.0,
        conduct_leak: ParamLike = 1.0,
        tau_theta: ParamLike = 1e7,
        theta_plus: ParamLike = 0.05,
        refract_time: ParamLike = 5.0,
        one_spike: bool = False,
        integration_type: str = "euler",
        surrogate_type: str | AbstractSurrogate | None = None,
        v_min: ParamLike | None = None,
        max_one_spike: bool = False,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_m`: membrane time constant τ_m (> 0).
        - `resist_m`: membrane resistance R (> 0, multiplies `j`).
        - `thr`: base threshold; `v_reset` must lie below it.
        - `v_rest`: resting (leak reversal) potential.
        - `v_reset`: voltage after a spike.
        - `conduct_leak`: leak conductance g_L (≥ 0; 0 is integrate-and-fire).
        - `tau_theta`: time constant of the threshold adaptation (≥ 0; 0: no adaptation).
        - `theta_plus`: threshold increment per spike.
        - `refract_time`: refractory period (≥ 0), during which `j` is ignored.
        - `one_spike`: keep at most one (random) spike per step; `step` then needs a key.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS`.
        - `surrogate_type`: the spike's surrogate, a name of `dynax.surrogate.SURROGATES`
            (default parameters) or an `AbstractSurrogate`; default `ArcTan(alpha=0.2)`.
        - `v_min`: optional lower bound of the voltage after each step.
        - `max_one_spike`: keep only the spike of the unit with the largest voltage
            (takes precedence over `one_spike`, as in the reference).

        Every parameter but `n_units` and the switches is a scalar or one value per unit.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        checks = dict(
            tau_m=(tau_m, check_positive),
            resist_m=(resist_m, check_positive),
            thr=(thr, check_finite),
            v_rest=(v_rest, check_finite),
            v_reset=(v_reset, check_finite),
            conduct_leak=(conduct_leak, check_nonnegative),
            tau_theta=(tau_theta, check_nonnegative),
            theta_plus=(theta_plus, check_finite),
            refract_time=(refract_time, check_nonnegative),
        )
        for name, (value, check) in checks.items():
            setattr(self, name, unit_param(owner, name, value, n_units, check))
        self.v_min = None if v_min is None else unit_param(owner, "v_min", v_min, n_units)
        check_below(owner, "v_reset", self.v_reset, "thr", self.thr)
        self.one_spike = check_switch(owner, "one_spike", one_spike)
        self.max_one_spike = check_switch(owner, "max_one_spike", max_one_spike)
        check_integrator(owner, integration_type)
        self.integration_type = integration_type
        self.surrogate = make_surrogate(owner, "surrogate_type", surrogate_type)

    def vector_field(
        self, t: Float[Array, ""], v: Float[Array, " n"], args: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        """dv/dt at `v` under the masked current `args = R·j·m` (diffrax's signature;
        autonomous, `t` is unused)."""
        return ((self.v_rest - v) * self.conduct_leak + args) * (1.0 / self.tau_m)

    def init_state(
        self, *, key: PRNGKeyArray | None = None, thr_theta: ArrayLike | None = None
    ) -> LIFCellState:
        """The resting state: `v = v_rest`, no spike, `rfr = refract_time` (not refractory),
        `tols = 0`, `surrogate = 1`, `t = 0`, and `thr_theta` (default 0; pass a previous
        state's `thr_theta` to keep the adapted thresholds, as the reference's reset does),
        `v_thr = thr + thr_theta`."""
        return lif_rest_state(self, LIFCellState, thr_theta)

    def step(
        self,
        state: LIFCellState,
        inputs: LIFCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> LIFCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is used only with
        `one_spike` (and not `max_one_spike`)."""
        return lif_family_step(self, state, inputs, key, dt, lambda drive, theta: drive)


# ------------------------------------------------------------ shared by the LIF family


def unit_param(owner: str, name: str, value: ArrayLike, n_units: int, check=check_finite):
    """`as_param(value)`, checked to be a scalar or `(n_units,)` and by `check`."""
    param = as_param(value)
    check_unit_param(owner, name, param, n_units)
    check(owner, name, param)
    return param


def check_switch(owner: str, name: str, value: Any) -> bool:
    """A structural switch must be a Python bool."""
    if not isinstance(value, bool):
        raise ValueError(f"{owner}: `{name}` must be a bool, got {value!r}.")
    return value


def check_below(owner: str, name: str, value: Array, bound_name: str, bound: Array) -> None:
    """`value < bound` for every unit (skipped when either is being traced)."""
    low, high = concrete(value), concrete(bound)
    if low is None or high is None:
        return
    if not (low < high).all():
        raise ValueError(
            f"{owner}: `{name}` must lie below `{bound_name}` for every unit, got {name}="
            f"{low.tolist()} and {bound_name}={high.tolist()}. A reset at or above the "
            "threshold would fire on every step."
        )


def make_surrogate(owner: str, name: str, value: str | AbstractSurrogate | None):
    """`None` → `ArcTan(alpha=0.2)` (the reference's LIF-family surrogate), a name →
    `dynax.surrogate.get_surrogate(name)`, an `AbstractSurrogate` → itself."""
    if value is None:
        return ArcTan(alpha=0.2)
    if isinstance(value, AbstractSurrogate):
        return value
    if isinstance(value, str):
        try:
            return get_surrogate(value)
        except ValueError as error:
            raise ValueError(f"{owner}: `{name}`: {error}") from None
    raise ValueError(
        f"{owner}: `{name}` must be a surrogate name or a dynax.surrogate.AbstractSurrogate, "
        f"got {value!r}."
    )


def lif_rest_state(cell, state_cls, thr_theta: ArrayLike | None):
    """The rest state of a LIF-family cell (see `LIFCell.init_state`)."""
    owner = type(cell).__name__
    dtype = cell.tau_m.dtype
    shape = (cell.n_units,)
    zeros = jnp.zeros(shape, dtype)
    if thr_theta is None:
        theta = zeros
    else:
        theta = jnp.asarray(thr_theta)
        check_shape(owner + ".init_state", "thr_theta", theta, [(), shape])
        check_finite(owner + ".init_state", "thr_theta", theta)
        theta = jnp.broadcast_to(theta, shape).astype(dtype)
    return state_cls(
        v=(zeros + cell.v_rest).astype(dtype),
        s=zeros,
        s_raw=zeros,
        rfr=(zeros + cell.refract_time).astype(dtype),
        thr_theta=theta,
        tols=zeros,
        surrogate=jnp.ones(shape, dtype),
        v_thr=(cell.thr + theta).astype(dtype),
        t=jnp.zeros((), dtype),
    )


def lif_family_step(
    cell,
    state,
    inputs,
    key: PRNGKeyArray | None,
    dt: TimeStep,
    make_args: Callable[[Array, Array], Any],
):
    """One step of a LIF-family cell (see `LIFCell`), whose `vector_field(t, v, args)` gets
    `args = make_args(R·j·m, θ)` with `θ = thr + thr_theta` at the start of the step."""
    owner = type(cell).__name__
    check_input(owner, "j", inputs.j, (cell.n_units,))
    check_time_step(owner, dt)
    dtype = state.v.dtype
    theta = state.thr_theta + cell.thr
    mask = (state.rfr >= cell.refract_time).astype(dtype)
    drive = inputs.j * cell.resist_m * mask
    integrator = get_integrator(cell.integration_type)
    v = computed_once(integrator(cell.vector_field, state.t, state.v, dt, make_args(drive, theta)))
    s_raw = cell.surrogate(v - theta)
    switch = jax.lax.stop_gradient(s_raw)
    estimate = cell.surrogate.derivative(v - theta) * ((cell.resist_m * dt) / cell.tau_m)
    rfr = refractory_update(state.rfr, switch, dt)
    v = reset_potential(v, s_raw, cell.v_reset)
    s = s_raw
    if cell.max_one_spike:
        s = keep_spike_at_max(s, state.v)
    elif cell.one_spike:
        s = keep_one_random_spike(s, require_key(owner, key))
    safe_tau = jnp.where(cell.tau_theta > 0, cell.tau_theta, 1.0)
    adapted = state.thr_theta * jnp.exp(-dt / safe_tau) + switch * cell.theta_plus
    thr_theta = jnp.where(cell.tau_theta > 0, adapted, state.thr_theta)
    if cell.v_min is not None:
        v = jnp.maximum(v, cell.v_min)
    t = advance_clock(state.t, dt)
    return type(state)(
        v=v.astype(dtype),
        s=s.astype(state.s.dtype),
        s_raw=s_raw.astype(state.s_raw.dtype),
        rfr=rfr,
        thr_theta=thr_theta.astype(state.thr_theta.dtype),
        tols=last_spike_times(state.tols, s, t),
        surrogate=jnp.broadcast_to(estimate, v.shape).astype(state.surrogate.dtype),
        v_thr=(cell.thr + thr_theta).astype(state.v_thr.dtype),
        t=t,
    )
