"""RateCell: the leaky graded unit of predictive coding (ngclearn's `RateCell`)."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..._core import AbstractCell
from ..._typing import Param, ParamLike, TimeStep
from ..._validate import (
    as_param,
    check_choice,
    check_finite,
    check_input,
    check_int,
    check_nonnegative,
    check_unit_param,
    concrete,
)
from ...activations import check_activation, get_activation
from ...integrate import check_integrator, get_integrator

_LEAK_SHAPES = {
    "gaussian": lambda z: z,
    "laplacian": jnp.sign,
    "cauchy": lambda z: 2.0 * z / (1.0 + z * z),
    "exp": lambda z: 2.0 * z * jnp.exp(-z * z),
}
_THRESHOLDS = ("none", "soft_threshold")


class RateCellState(eqx.Module):
    """`z`: the latent rate; `zF = f(z)·output_scale`: the output read by other cells."""

    z: Float[Array, " n"]
    zF: Float[Array, " n"]


class RateCellInputs(eqx.Module):
    """`j`: bottom-up current (modulated by f'(z)); `j_td`: top-down pressure (not modulated)."""

    j: Float[Array, " n"]
    j_td: Float[Array, " n"] | None = None


class RateCell(AbstractCell):
    r"""A leaky rate unit whose leak is shaped by a prior.

    With `m = f'(z) ⊙ j · resist_scale` (only the bottom-up current is modulated),

    $$τ_m \frac{dz}{dt} = −γ·ρ(z) + m + j_{td},$$

    where the prior chooses the leak shape ρ(z) = z (gaussian), sign(z) (laplacian),
    2z/(1+z²) (cauchy) or 2z·exp(−z²) (exp), and γ is its weight. The ODE is integrated over
    `dt` by the named integrator with `m` and `j_td` held fixed; then an optional soft
    threshold shrinks z towards 0 by λ, and `zF = f(z)·output_scale`.

    With `tau_m = 0` (or `is_stateful=False`) the cell is stateless: `z = j + j_td` (no
    modulation) and `zF = f(z)·output_scale`.

    Differences from ngclearn 3.2.3: integrator names mean what they say (its RateCell runs
    RK4 for "heun" and Euler for "rk4"/"ralston"); the modulated current is not written back
    into the input; `"cauchy_threshold"` (which always raises there) is rejected at
    construction; a non-elementwise activation (`softmax`) modulates `j` by its Jacobian,
    `m = J_f(z)·j`. The optional lateral patch synapse and the `(H, W, C)` shape option are
    not part of this cell: wire a synapse, and `vmap` over extra axes.
    """

    State: ClassVar = RateCellState
    Inputs: ClassVar = RateCellInputs

    tau_m: Param
    prior_weight: Param
    output_scale: Param
    resist_scale: Param
    threshold_value: Param
    n_units: int = eqx.field(static=True)
    prior_type: str = eqx.field(static=True)
    act_fx: str = eqx.field(static=True)
    threshold_type: str = eqx.field(static=True)
    integration_type: str = eqx.field(static=True)
    is_stateful: bool = eqx.field(static=True)

    def __init__(
        self,
        n_units: int,
        tau_m: ParamLike,
        prior: tuple[str, ParamLike] = ("gaussian", 0.0),
        act_fx: str = "identity",
        output_scale: ParamLike = 1.0,
        threshold: tuple[str, ParamLike] = ("none", 0.0),
        integration_type: str = "euler",
        resist_scale: ParamLike = 1.0,
        is_stateful: bool = True,
    ):
        """**Arguments:**

        - `n_units`: number of units.
        - `tau_m`: membrane time constant (> 0, scalar or per unit); `0` makes the cell
            stateless.
        - `prior`: `(kind, γ)`, kind one of gaussian, laplacian, cauchy, exp; γ ≥ 0.
        - `act_fx`: output activation name (see `dynax.activations`).
        - `output_scale`: multiplies `f(z)`.
        - `threshold`: `("none", 0)` or `("soft_threshold", λ)` with λ ≥ 0.
        - `integration_type`: a name of `dynax.integrate.INTEGRATORS`.
        - `resist_scale`: multiplies the modulated bottom-up current.
        - `is_stateful`: `False` forces the stateless mode.
        """
        owner = type(self).__name__
        check_int(owner, "n_units", n_units, minimum=1)
        self.n_units = n_units
        tau = as_param(tau_m)
        check_unit_param(owner, "tau_m", tau, n_units)
        tau_values = concrete(tau)
        stateless = tau_values is not None and bool((tau_values == 0).all())
        self.is_stateful = bool(is_stateful) and not stateless
        if self.is_stateful:
            check_range_hint = "Use tau_m > 0, or tau_m=0 for the stateless mode."
            check_nonnegative(owner, "tau_m", tau, hint=check_range_hint)
            if tau_values is not None and (tau_values == 0).any():
                raise ValueError(
                    f"{owner}: `tau_m` must be > 0 for every unit of a stateful cell, got "
                    f"{tau_values.tolist()}. {check_range_hint}"
                )
        self.tau_m = tau
        if not (isinstance(prior, tuple | list) and len(prior) == 2):
            raise ValueError(f"{owner}: `prior` must be a pair (kind, weight), got {prior!r}.")
        check_choice(owner, "prior[0]", prior[0], _LEAK_SHAPES)
        self.prior_type = prior[0]
        self.prior_weight = as_param(prior[1])
        check_unit_param(owner, "prior[1]", self.prior_weight, n_units)
        check_nonnegative(owner, "prior[1]", self.prior_weight)
        check_activation(owner, "act_fx", act_fx)
        self.act_fx = act_fx
        self.output_scale = as_param(output_scale)
        check_unit_param(owner, "output_scale", self.output_scale, n_units)
        check_finite(owner, "output_scale", self.output_scale)
        if not (isinstance(threshold, tuple | list) and len(threshold) == 2):
            raise ValueError(
                f"{owner}: `threshold` must be a pair (kind, lambda), got {threshold!r}."
            )
        check_choice(owner, "threshold[0]", threshold[0], _THRESHOLDS)
        self.threshold_type = threshold[0]
        self.threshold_value = as_param(threshold[1])
        check_unit_param(owner, "threshold[1]", self.threshold_value, n_units)
        check_nonnegative(owner, "threshold[1]", self.threshold_value)
        check_integrator(owner, integration_type)
        self.integration_type = integration_type
        self.resist_scale = as_param(resist_scale)
        check_unit_param(owner, "resist_scale", self.resist_scale, n_units)
        check_finite(owner, "resist_scale", self.resist_scale)

    def init_state(self, *, key: PRNGKeyArray | None = None) -> RateCellState:
        """All zeros: `z = 0`, `zF = 0` (the reference's reset)."""
        zeros = jnp.zeros((self.n_units,), dtype=self.tau_m.dtype)
        return RateCellState(z=zeros, zF=zeros)

    def step(
        self,
        state: RateCellState,
        inputs: RateCellInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> RateCellState:
        """Advances `z` by `dt` (see the class docstring); `key` is unused."""
        owner = type(self).__name__
        shape = (self.n_units,)
        check_input(owner, "j", inputs.j, shape)
        j_td = jnp.zeros(shape, state.z.dtype) if inputs.j_td is None else inputs.j_td
        check_input(owner, "j_td", j_td, shape)
        activation = get_activation(self.act_fx)
        if not self.is_stateful:
            z = (inputs.j + j_td).astype(state.z.dtype)
        else:
            slope = activation.dfx(state.z)
            modulated = slope * inputs.j if activation.elementwise else slope @ inputs.j
            drive = modulated * self.resist_scale + j_td
            leak_shape = _LEAK_SHAPES[self.prior_type]

            def vector_field(t, z, args):
                return (drive - self.prior_weight * leak_shape(z)) / self.tau_m

            z = get_integrator(self.integration_type)(vector_field, 0.0, state.z, dt, None)
            if self.threshold_type == "soft_threshold":
                lam = self.threshold_value
                z = jnp.maximum(z - lam, 0.0) - jnp.maximum(-z - lam, 0.0)
        zF = activation.fx(z) * self.output_scale
        return RateCellState(z=z.astype(state.z.dtype), zF=zF.astype(state.zF.dtype))
