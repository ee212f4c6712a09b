"""The integrate-and-fire family: one step for IF, LIF and QuadLIF.

Each member states its parameters and its membrane equation `vector_field(t, v, args)`;
the step around it is written here once:

- `AbstractIntegrateAndFire` (IF, LIF, QuadLIF): with the refractory mask
  `m = 1[not refractory]` from the start of the step and `R·j·m` held fixed, the membrane is
  integrated to v′; `s = 1[v′ > θ]`; the refractory clock restarts at a spike
  (`rfr⁺ = (rfr + dt)·(1 − s)`); a spiking unit is reset to `v_reset`.
- `AbstractAdaptiveIntegrateAndFire` (LIF, QuadLIF) adds ngclearn's LIF machinery: the
  adaptive threshold `θ = thr + thr_theta`, the one-spike rules, `v_min`, and the
  reference's surrogate estimate as an output.
"""

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..._core import require_key
from ..._fields import argument
from ..._typing import Param, TimeStep
from ...integrate import AbstractStepper
from ...surrogate import AbstractSurrogate
from ._base import (
    AbstractSpikingCell,
    ClockedState,
    CurrentInputs,
    clock,
    refractory_mask,
    reset_potential,
)


class AbstractIntegrateAndFire(AbstractSpikingCell):
    """A membrane driven by `R·j` outside the refractory period (see the module docstring).
    Subclasses define `vector_field(t, v, args)` with `args = field_args(R·j·m, θ)`."""

    tau_m: eqx.AbstractVar[Param]
    resist_m: eqx.AbstractVar[Param]
    thr: eqx.AbstractVar[Param]
    v_rest: eqx.AbstractVar[Param]
    v_reset: eqx.AbstractVar[Param]
    refract_time: eqx.AbstractVar[Param]
    integration_type: eqx.AbstractVar[AbstractStepper]
    surrogate_type: eqx.AbstractVar[AbstractSurrogate]

    @property
    def surrogate(self) -> AbstractSurrogate:
        """The spike's surrogate, stored under ngclearn's argument name `surrogate_type`."""
        return self.surrogate_type

    def field_args(self, drive: Array, theta: Array):
        """The `args` of `vector_field`: the masked current `R·j·m` (QuadLIF adds its
        guard voltage, which depends on the threshold θ)."""
        return drive

    def membrane(self, state, inputs, dt: TimeStep, theta) -> Array:
        """v′: the membrane integrated over `dt` under the masked current `R·j·m`."""
        mask = refractory_mask(state.rfr, self.refract_time, dt).astype(state.v.dtype)
        drive = inputs.j * self.resist_m * mask
        return self.integrate(state.t, state.v, dt, self.field_args(drive, theta))

    def refractory_clock(self, rfr: Array, spikes: Array, dt: TimeStep) -> Array:
        """Time since the last spike, restarted at a spike: `rfr⁺ = (rfr + dt)·(1 − s)`."""
        return (rfr + dt) * (1.0 - jax.lax.stop_gradient(spikes))


def keep_one_random_spike(spikes: Array, key) -> Array:
    """Keeps one spike of `spikes` (one sample, shape `(n,)`), chosen uniformly at random
    among the units that spiked; no spike stays no spike.

    The forward value is `s·e_k` with `e_k` the one-hot of the chosen unit, so the kept
    spike keeps its surrogate gradient. Draws `uniform(key, (n,))` once.
    """
    draws = jax.random.uniform(key, spikes.shape)
    chosen = jnp.argmax(jnp.where(spikes > 0, draws, -1.0))
    return spikes * jax.nn.one_hot(chosen, spikes.shape[-1], dtype=spikes.dtype)


def keep_spike_at_max(spikes: Array, values: Array) -> Array:
    """Keeps only the spike of the unit where `values` is largest (the first such unit);
    every other spike is dropped, even when that unit did not spike."""
    chosen = jnp.argmax(values)
    return spikes * jax.nn.one_hot(chosen, spikes.shape[-1], dtype=spikes.dtype)


class LIFCellState(ClockedState):
    """`v`: membrane potential (mV); `s`: spikes (after the one-spike rules); `s_raw`: spikes
    before them; `rfr`: time since the last spike (ms); `thr_theta`: adaptive threshold
    shift (mV); `tols`: time of the last spike (ms); `surrogate`: the reference's estimate
    `σ′(v′ − θ)·R·dt/τ_m` of ds/dj (an output for parity, not what `jax.grad` uses);
    `v_thr`: the threshold of the next step, `thr + thr_theta`; `t`: the clock (ms)."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    s_raw: Float[Array, " n"]
    rfr: Float[Array, " n"]
    thr_theta: Float[Array, " n"]
    surrogate: Float[Array, " n"]
    v_thr: Float[Array, " n"]


class AbstractAdaptiveIntegrateAndFire(AbstractIntegrateAndFire):
    r"""The LIF step of ngclearn, around a subclass's membrane equation.

    With `θ = thr + thr_theta` from the start of the step and v′ the integrated membrane:

    - `s_raw = 1[v′ > θ]`; `rfr⁺ = (rfr + dt)·(1 − s_raw)`; `v⁺ = v_reset` where `s_raw`,
      then `v⁺ = max(v⁺, v_min)` if `v_min` is given;
    - `surrogate⁺ = σ′(v′ − θ)·R·dt/τ_m` (the reference's ds/dj estimate);
    - `s = s_raw`, except: `one_spike` keeps one spike chosen uniformly at random among the
      units that spiked (draws with `key`); `max_one_spike` keeps only the spike of the unit
      with the largest voltage at the start of the step (if that unit spiked);
    - where `tau_theta > 0`: `thr_theta⁺ = thr_theta·exp(−dt/τ_θ) + theta_plus·s_raw`
      (`tau_theta = 0` switches adaptation off); `v_thr⁺ = thr + thr_theta⁺`;
    - `tols⁺ = t + dt` where `s = 1`.

    Resets (`v`, and the jumps of `thr_theta`) are switches: no surrogate gradient flows
    through them. ngclearn's `reset` keeps `thr_theta`; here a state is only what the caller
    keeps: `cell.init_state(thr_theta=old_state.thr_theta)` starts a new sequence at rest
    with the adapted thresholds, `cell.init_state()` from `thr_theta = 0`.
    """

    State: ClassVar = LIFCellState
    Inputs: ClassVar = CurrentInputs

    tau_theta: eqx.AbstractVar[Param]
    theta_plus: eqx.AbstractVar[Param]
    v_min: eqx.AbstractVar[Param | None]
    one_spike: eqx.AbstractVar[bool]
    max_one_spike: eqx.AbstractVar[bool]

    def init_state(
        self, *, key: PRNGKeyArray | None = None, thr_theta: ArrayLike | None = None
    ) -> LIFCellState:
        """The resting state: `v = v_rest`, no spike, `rfr = refract_time` (not refractory),
        `tols = 0`, `surrogate = 1`, `t = 0`, and `thr_theta` (default 0; pass a previous
        state's `thr_theta` to keep the adapted thresholds, as the reference's reset does),
        `v_thr = thr + thr_theta`."""
        owner = f"{type(self).__name__}.init_state"
        dtype = self.tau_m.dtype
        shape = (self.n_units,)
        zeros = jnp.zeros(shape, dtype)
        if thr_theta is None:
            theta = zeros
        else:
            theta = argument(owner, "thr_theta", thr_theta, shapes=[(), shape])
            theta = jnp.broadcast_to(theta, shape).astype(dtype)
        return LIFCellState(
            v=(zeros + self.v_rest).astype(dtype),
            s=zeros,
            s_raw=zeros,
            rfr=(zeros + self.refract_time).astype(dtype),
            thr_theta=theta,
            tols=zeros,
            surrogate=jnp.ones(shape, dtype),
            v_thr=(self.thr + theta).astype(dtype),
            t=jnp.zeros((), dtype),
        )

    def step(
        self, state: LIFCellState, inputs: CurrentInputs, key: PRNGKeyArray | None, dt: TimeStep
    ) -> LIFCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is used only with
        `one_spike` (and not `max_one_spike`)."""
        self.check_step(state, inputs, dt)
        theta = state.thr_theta + self.thr
        v = self.membrane(state, inputs, dt, theta)
        s_raw = self.fire(v, theta)
        estimate = self.surrogate.derivative(v - theta) * ((self.resist_m * dt) / self.tau_m)
        v = reset_potential(v, s_raw, self.v_reset)
        if self.v_min is not None:
            v = jnp.maximum(v, self.v_min)
        s = s_raw
        if self.max_one_spike:
            s = keep_spike_at_max(s, state.v)
        elif self.one_spike:
            s = keep_one_random_spike(s, require_key(type(self).__name__, key))
        adapting = self.tau_theta > 0
        decay = jnp.exp(-dt / jnp.where(adapting, self.tau_theta, 1.0))
        adapted = state.thr_theta * decay + jax.lax.stop_gradient(s_raw) * self.theta_plus
        thr_theta = jnp.where(adapting, adapted, state.thr_theta)
        t, tols = clock(state, s, dt)
        return state.replace(
            v=v,
            s=s,
            s_raw=s_raw,
            rfr=self.refractory_clock(state.rfr, s_raw, dt),
            thr_theta=thr_theta,
            tols=tols,
            surrogate=jnp.broadcast_to(estimate, v.shape),
            v_thr=self.thr + thr_theta,
            t=t,
        )
