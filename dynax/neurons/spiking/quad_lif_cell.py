"""QuadLIFCell: quadratic integrate-and-fire units (ngclearn's `QuadLIFCell`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..._core import AbstractCell
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import check_int, check_nonnegative, check_positive
from ...integrate import check_integrator
from ...surrogate import AbstractSurrogate
from .lif_cell import (
    check_below,
    check_switch,
    lif_family_step,
    lif_rest_state,
    make_surrogate,
    unit_param,
)


class QuadLIFCellState(eqx.Module):
    """The fields of `LIFCellState`: `v`, `s`, `s_raw`, `rfr`, `thr_theta`, `tols`,
    `surrogate` (the estimate `σ′(v′ − θ)·R·dt/τ_m`), `v_thr = thr + thr_theta`, `t`."""

    v: Float[Array, " n"]
    s: Float[Array, " n"]
    s_raw: Float[Array, " n"]
    rfr: Float[Array, " n"]
    thr_theta: Float[Array, " n"]
    tols: Float[Array, " n"]
    surrogate: Float[Array, " n"]
    v_thr: Float[Array, " n"]
    t: Float[Array, ""]


class QuadLIFCellInputs(eqx.Module):
    """`j`: the input current (multiplied by `resist_m`)."""

    j: Float[Array, " n"]


class QuadLIFCell(AbstractCell):
    r"""Quadratic integrate-and-fire units (Latham et al., 2000) with the refractory period,
    adaptive threshold and one-spike rules of `LIFCell`.

    With `m = 1[rfr ≥ refract_time]` and R·j·m held fixed over the step,

    $$τ_m \frac{dv}{dt} = a_0·(v − v_{rest})·(v − v_c) + R·j·m,$$

    integrated over `dt` to v′; then everything as in `LIFCell` (spikes at `v′ > θ` with
    `θ = thr + thr_theta`, reset, refractory clock, adaptation, `surrogate`, `v_thr`,
    `tols`). With `a0 > 0`, `v_rest` is the stable rest and `v_c` the critical voltage
    above which v runs away (the spike upswing).

    Guard: the vector field is evaluated at `min(v, v_cap)`, `v_cap = max(θ, v_c) +
    |v_c − v_rest|`, one root spacing above both the threshold and the critical voltage.
    Above the threshold the step fires and resets anyway, but explicit stages (RK4 with a
    large current) could otherwise square their way to inf within one step; Euler never
    evaluates the field there.

    Names: ngclearn's arguments are swapped against their meaning (spec §9 defect 12): its
    `v_scale` (−41.6) is the critical voltage, here `v_c`; its `critical_v` (1.0) is the
    gain, here `a0`. Port `QuadLIFCell(v_scale=x, critical_v=y)` as
    `QuadLIFCell(v_c=x, a0=-y)`: see the sign below.

    Differences from ngclearn 3.2.3: the sign of the quadratic term is the textbook one
    (and that of ngclearn's own docstring): ngclearn computes `a0·(v_rest − v)·(v − v_c)`,
    which makes `v_c` the stable point and `v_rest` unstable, so its default cell at rest
    with no input drifts up to `v_c = −41.6` and fires on its own (thr = −52) (defect 12);
    `a0 = −critical_v` reproduces ngclearn's trajectories exactly. Also: `v_thr` and
    `surrogate` are updated every step (ngclearn leaves them at `thr` and 1); the one-spike
    rule acts per sample (ngclearn's tests for any spike in the whole batch); plus the
    differences listed by `LIFCell` (surrogate honoured, no batch-1, integrator names).
    """

    State: ClassVar = QuadLIFCellState
    Inputs: ClassVar = QuadLIFCellInputs

    tau_m: Param
    resist_m: Param
    thr: Param
    v_rest: Param
    v_reset: Param
    v_c: Param
    a0: Param
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
        v_c: ParamLike = -41.6,
        a0: ParamLike = 1.0,
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
        - `v_rest`: resting potential (stable for `a0 > 0`).
        - `v_reset`: voltage after a spike.
        - `v_c`: critical voltage (ngclearn's `v_scale`).
        - `a0`: gain of the quadratic term (ngclearn's `critical_v`, negated); any finite
            value (`a0 < 0` is ngclearn's reversed sign).
        - `tau_theta`, `theta_plus`, `refract_time`, `one_spike`, `integration_type`,
            `surrogate_type`, `v_min`, `max_one_spike`: as in `LIFCell`.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        self.tau_m = unit_param(owner, "tau_m", tau_m, n_units, check_positive)
        self.resist_m = unit_param(owner, "resist_m", resist_m, n_units, check_positive)
        self.thr = unit_param(owner, "thr", thr, n_units)
        self.v_rest = unit_param(owner, "v_rest", v_rest, n_units)
        self.v_reset = unit_param(owner, "v_reset", v_reset, n_units)
        self.v_c = unit_param(owner, "v_c", v_c, n_units)
        self.a0 = unit_param(owner, "a0", a0, n_units)
        self.tau_theta = unit_param(owner, "tau_theta", tau_theta, n_units, check_nonnegative)
        self.theta_plus = unit_param(owner, "theta_plus", theta_plus, n_units)
        self.refract_time = unit_param(
            owner, "refract_time", refract_time, n_units, check_nonnegative
        )
        self.v_min = None if v_min is None else unit_param(owner, "v_min", v_min, n_units)
        check_below(owner, "v_reset", self.v_reset, "thr", self.thr)
        self.one_spike = check_switch(owner, "one_spike", one_spike)
        self.max_one_spike = check_switch(owner, "max_one_spike", max_one_spike)
        check_integrator(owner, integration_type)
        self.integration_type = integration_type
        self.surrogate = make_surrogate(owner, "surrogate_type", surrogate_type)

    def vector_field(
        self, t: Float[Array, ""], v: Float[Array, " n"], args: tuple[Array, Array]
    ) -> Float[Array, " n"]:
        """dv/dt at `v` under `args = (R·j·m, v_cap)` (diffrax's signature; autonomous).
        Evaluated at `min(v, v_cap)`."""
        drive, v_cap = args
        v = jnp.minimum(v, v_cap)
        quadratic = (v - self.v_rest) * (v - self.v_c) * self.a0
        return (quadratic + drive) * (1.0 / self.tau_m)

    def init_state(
        self, *, key: PRNGKeyArray | None = None, thr_theta: ArrayLike | None = None
    ) -> QuadLIFCellState:
        """The rest state, as `LIFCell.init_state` (`thr_theta` carries adapted
        thresholds over)."""
        return lif_rest_state(self, QuadLIFCellState, thr_theta)

    def step(
        self,
        state: QuadLIFCellState,
        inputs: QuadLIFCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> QuadLIFCellState:
        """Advances the cell by `dt` (see the class docstring); `key` is used only with
        `one_spike` (and not `max_one_spike`)."""

        def make_args(drive, theta):
            v_cap = jnp.maximum(theta, self.v_c) + jnp.abs(self.v_c - self.v_rest)
            return drive, v_cap

        return lif_family_step(self, state, inputs, key, dt, make_args)
