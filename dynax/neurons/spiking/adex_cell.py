"""AdExCell: the adaptive exponential integrate-and-fire neuron of Brette & Gerstner (2005)
(ngclearn's `AdExCell`)."""

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

EXP_MARGIN = 10.0
"""The guard voltage lies `EXP_MARGIN·Δ_T` above the threshold (`exp` grows by e¹⁰ ≈ 2·10⁴
between the threshold and the guard)."""

EXP_ARG_MAX = 50.0
"""The largest exponent `(v − V_T)/Δ_T` the vector field ever evaluates (e⁵⁰ ≈ 5·10²¹, far
from float32's overflow at e⁸⁸·⁷)."""


class AdExCellState(eqx.Module):
    """`v`: membrane potential (mV); `w`: adaptation current; `s`: spikes of the last step;
    `tols`: time of the last spike (0 before the first); `t`: the clock."""

    v: Float[Array, " n"]
    w: Float[Array, " n"]
    s: Float[Array, " n"]
    tols: Float[Array, " n"]
    t: Float[Array, ""]


class AdExCellInputs(eqx.Module):
    """`j`: the input current (multiplied by `resist_m`)."""

    j: Float[Array, " n"]


class AdExCell(AbstractCell):
    r"""Adaptive exponential integrate-and-fire units (Brette & Gerstner, J. Neurophysiol.
    94(5), 2005).

    With the input `j` held fixed over the step,

    $$τ_m \frac{dv}{dt} = −(v − E_L) + Δ_T \exp\frac{v − V_T}{Δ_T} − R·w + R·j, \qquad
      τ_w \frac{dw}{dt} = −w + a·(v − E_L),$$

    (`E_L = v_rest`, `V_T = intrinsic_mem_thr`, `Δ_T = v_sharpness`, `R = resist_m`).
    `(v, w)` is integrated over `dt` as ONE system by the named integrator (`vector_field`);
    then `s = 1[v′ > thr]` (forward value; the gradient is the derivative of `surrogate`,
    default `ArcTan(alpha=0.2)`, a few mV wide), and a spiking unit is reset:
    `v⁺ = v_reset`, `w⁺ = w′ + b`. `tols⁺ = t + dt` where `s = 1`.

    Guard: the vector field is evaluated at `v̂ = min(v, v_cap)` with
    `v_cap = min(thr, V_T + 40·Δ_T) + 10·Δ_T`, so its exponent never exceeds
    `(thr − V_T)/Δ_T + 10` nor 50. The exponential otherwise overflows float32 (e⁸⁸·⁷) as
    soon as an explicit stage lands ~90·Δ_T above V_T, which the upswing of a spike does
    within one step (ngclearn gives inf, then `inf·0 = NaN` at the reset: RK2, thr = 0,
    dt = 0.1); and the adaptation coupling `a·(v − E_L)` is bounded the same way, so that
    a stage far past the threshold cannot throw `w` by orders of magnitude. The guard lies
    well above the threshold: a state that survives a step has `v ≤ thr < v_cap`, so Euler
    (which evaluates the field only there) is exactly the AdEx model, and above `v_cap`
    the spike is certain anyway (the drift there is e¹⁰ times that at the threshold).

    Differences from ngclearn 3.2.3: `v` and `w` are integrated as one coupled system (its
    midpoint integrates v with w frozen and w with v frozen, which is first order in the
    coupling; Euler is the same in both); the guard above (no NaN from a finite input);
    integrator names mean what they say (ngclearn runs Euler for heun/ralston/rk4); its
    docstring's reset `w + s·(w + b)` is not what it computes, `w′ + b`, which is the rule
    here too (spec §9, defect 9); `tols` records the end of the step, `t + dt`, which is
    the `t` ngclearn is passed; one sample per cell (`vmap` for a batch).
    """

    State: ClassVar = AdExCellState
    Inputs: ClassVar = AdExCellInputs

    tau_m: Param
    resist_m: Param
    tau_w: Param
    v_sharpness: Param
    intrinsic_mem_thr: Param
    thr: Param
    v_rest: Param
    v_reset: Param
    a: Param
    b: Param
    v0: Param
    w0: Param
    surrogate: AbstractSurrogate
    n_units: int = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike = 15.0,
        resist_m: ParamLike = 1.0,
        tau_w: ParamLike = 400.0,
        v_sharpness: ParamLike = 2.0,
        intrinsic_mem_thr: ParamLike = -55.0,
        thr: ParamLike = 5.0,
        v_rest: ParamLike = -72.0,
        v_reset: ParamLike = -75.0,
        a: ParamLike = 0.1,
        b: ParamLike = 0.75,
        v0: ParamLike = -70.0,
        w0: ParamLike = 0.0,
        integration_type: str = "euler",
        surrogate: AbstractSurrogate | None = None,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_m`: membrane time constant τ_m (> 0).
        - `resist_m`: membrane resistance R (multiplies `j` and `w`).
        - `tau_w`: adaptation time constant τ_w (> 0).
        - `v_sharpness`: slope factor Δ_T (> 0).
        - `intrinsic_mem_thr`: the soft threshold V_T of the exponential.
        - `thr`: the spike cut-off; `v_reset` must lie below it.
        - `v_rest`: leak reversal potential E_L.
        - `v_reset`: voltage after a spike.
        - `a`: subthreshold adaptation coupling.
        - `b`: spike-triggered adaptation increment.
        - `v0`, `w0`: the initial state.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS`.
        - `surrogate`: the spike's surrogate derivative (default `ArcTan(alpha=0.2)`).

        Every parameter but `n_units` is a scalar or one value per unit (an array leaf:
        learnable, no recompilation when it changes).
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        values = dict(
            tau_m=tau_m,
            resist_m=resist_m,
            tau_w=tau_w,
            v_sharpness=v_sharpness,
            intrinsic_mem_thr=intrinsic_mem_thr,
            thr=thr,
            v_rest=v_rest,
            v_reset=v_reset,
            a=a,
            b=b,
            v0=v0,
            w0=w0,
        )
        for name, value in values.items():
            param = as_param(value)
            check_unit_param(owner, name, param, n_units)
            if name in ("tau_m", "tau_w", "v_sharpness"):
                check_positive(owner, name, param)
            else:
                check_finite(owner, name, param)
            setattr(self, name, param)
        _check_below(owner, "v_reset", self.v_reset, "thr", self.thr)
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

    @property
    def v_cap(self) -> Param:
        """The guard voltage `min(thr, V_T + 40·Δ_T) + 10·Δ_T` (see the class docstring)."""
        delta = self.v_sharpness
        ceiling = self.intrinsic_mem_thr + (EXP_ARG_MAX - EXP_MARGIN) * delta
        return jnp.minimum(self.thr, ceiling) + EXP_MARGIN * delta

    def vector_field(
        self, t: Float[Array, ""], y: tuple[Array, Array], args: Float[Array, " n"]
    ) -> tuple[Array, Array]:
        """`(dv/dt, dw/dt)` at `y = (v, w)` under the input current `args = j` (diffrax's
        signature; autonomous, `t` is unused). Evaluated at `min(v, v_cap)`."""
        v, w = y
        v = jnp.minimum(v, self.v_cap)
        delta = self.v_sharpness
        spike_drive = delta * jnp.exp((v - self.intrinsic_mem_thr) / delta)
        dv = -(v - self.v_rest) + spike_drive - self.resist_m * w + self.resist_m * args
        dw = -w + (v - self.v_rest) * self.a
        # times the reciprocal: the reference's operations in its order (Euler agrees to an ulp)
        return dv * (1.0 / self.tau_m), dw * (1.0 / self.tau_w)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> AdExCellState:
        """`v = v0`, `w = w0`, no spike, `tols = 0`, `t = 0` (the reference's reset)."""
        dtype = self.tau_m.dtype
        zeros = jnp.zeros((self.n_units,), dtype)
        return AdExCellState(
            v=(zeros + self.v0).astype(dtype),
            w=(zeros + self.w0).astype(dtype),
            s=zeros,
            tols=zeros,
            t=jnp.zeros((), dtype),
        )

    def step(
        self,
        state: AdExCellState,
        inputs: AdExCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> AdExCellState:
        """Integrates `(v, w)` over `dt`, then spikes and resets (see the class docstring);
        `key` is unused."""
        owner = type(self).__name__
        check_input(owner, "j", inputs.j, (self.n_units,))
        check_time_step(owner, dt)
        integrator = get_integrator(self.integration_type)
        v, w = computed_once(
            integrator(self.vector_field, state.t, (state.v, state.w), dt, inputs.j)
        )
        s = self.surrogate(v - self.thr)
        v = reset_potential(v, s, self.v_reset)
        w = w + self.b * jax.lax.stop_gradient(s)
        t = advance_clock(state.t, dt)
        return AdExCellState(
            v=v.astype(state.v.dtype),
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
