"""PredictiveCodingNetwork: ngclearn's discriminative predictive-coding model as one module,
its inference and its learning both derived from one energy."""

from collections.abc import Sequence
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray, PyTree

from .._core import AbstractCell
from .._fields import checked_size
from .._typing import ParamLike, TimeStep
from .._validate import check_input, concrete, fail
from ..neurons.graded.gaussian_error_cell import GaussianErrorCell, GaussianErrorCellState
from ..neurons.graded.rate_cell import RateCell, RateCellState
from ..synapses.dense_synapse import DenseSynapse


class PredictiveCodingState(eqx.Module):
    """`z`: the hidden layers' states (layers 1 … L−1); `e`: the error cells' outputs of the
    last step (layers 1 … L; `e[l].dmu` is the precision-weighted error of layer l + 1)."""

    z: tuple[RateCellState, ...]
    e: tuple[GaussianErrorCellState, ...]


class PredictiveCodingInputs(eqx.Module):
    """`x`: the clamped input (layer 0); `y`: the clamped target of the top layer, or `None`
    to leave the top free (it then equals its prediction and carries no error)."""

    x: Float[Array, " n_in"]
    y: Float[Array, " n_out"] | None = None


class PredictiveCodingNetwork(AbstractCell):
    r"""A hierarchy of rate cells and Gaussian error cells with dense synapses, whose inference
    and learning are the gradients of one energy.

    Layers `0 … L` of sizes `sizes`; layer 0 is the input `x`, layer L the output. The forward
    synapses `W_l` predict layer l from the output `f(z_{l−1})` of the layer below, and the
    error cells compare:

    $$μ_l = f(z_{l−1})\,W_l + b_l,\qquad
    F = −\sum_l L_l = \sum_l \tfrac12 \lVert z_l − μ_l \rVert^2 / Σ_l,$$

    with `z_0 = x`, `z_L = y` when clamped (else `z_L = μ_L`: no error). `free_energy` is F,
    computed by the parts themselves (the synapses' `transmit`, the error cells' `L`), and
    everything else is its gradient, by `jax.grad`:

    - inference: a hidden layer `0 < l < L` is a `RateCell` driven by the bottom-up current
      `j = −∂F/∂f(z_l) = e_{l+1} W_{l+1}ᵀ` (which the cell modulates by `f′(z_l)`) and the
      top-down pressure `j_td = −∂F/∂z_l = −e_l`; with its default gaussian prior of weight
      0 this is `τ_m dz_l/dt = −∂F/∂z_l`, gradient descent on F;
    - learning: `hebbian_gradients` is `∂F/∂W_l = −f(z_{l−1})ᵀ e_l` (and `∂F/∂b_l`), local
      to each synapse, for optax (`batch_hebbian_gradients` for a batch: the gradient of the
      batch's F, one matrix product per layer); `hebbian_update` applies one SGD step.

    With `tie_feedback=False` the bottom-up current is the error passed back through separate
    feedback synapses, `j = e_{l+1} E_{l+1}` (not a gradient of F: feedback alignment).
    Updates are synchronous: every layer reads the state at time t; `step` returns the new
    latents with the errors computed at time t (so `energy(state)` is F at the start of the
    step). The same module can also be trained end to end by `jax.grad` through
    `dynax.simulate`.
    """

    State: ClassVar = PredictiveCodingState
    Inputs: ClassVar = PredictiveCodingInputs

    latents: tuple[RateCell, ...]
    errors: tuple[GaussianErrorCell, ...]
    forward: tuple[DenseSynapse, ...]
    feedback: tuple[DenseSynapse, ...] | None
    sizes: tuple[int, ...] = eqx.field(static=True)

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        act_fx: str | Sequence[str] = "tanh",
        tau_m: ParamLike = 10.0,
        sigma: ParamLike | Sequence[ParamLike] = 1.0,
        weight_init=("uniform", {"low": -0.05, "high": 0.05}),
        bias: bool = True,
        tie_feedback: bool = True,
        integration_type: str = "euler",
        key: PRNGKeyArray,
    ):
        """**Arguments:**

        - `sizes`: `(n_in, n_hidden_1, …, n_out)`, at least three layers.
        - `act_fx`: the hidden layers' activation f: one name for all, or one per hidden
            layer.
        - `tau_m`: the hidden layers' time constant.
        - `sigma`: the error cells' variance Σ: one for all layers, or a sequence of one per
            error layer (`len(sizes) − 1`; each a scalar or per unit).
        - `weight_init`: initializer of the forward (and untied feedback) weights.
        - `bias`: whether the forward synapses have biases (initialised to 0).
        - `tie_feedback`: feed errors back through `W_{l+1}ᵀ` (exact energy descent) instead
            of separate feedback synapses `E_{l+1}` (initialised like `W`, kept fixed by
            `hebbian_update`).
        - `integration_type`: the hidden layers' integrator.
        - `key`: for the initial weights.
        """
        owner = type(self).__name__
        if isinstance(sizes, str) or not isinstance(sizes, Sequence) or len(sizes) < 3:
            fail(owner, "sizes", "at least three layers (input, hidden, output)", repr(sizes))
        self.sizes = tuple(checked_size(owner, f"sizes[{i}]", n) for i, n in enumerate(sizes))
        n_layers = len(sizes) - 1
        acts = _per_layer(owner, "act_fx", act_fx, n_layers - 1)
        sigmas = _per_layer(owner, "sigma", sigma, n_layers)
        forward_keys = jax.random.split(key, 2 * n_layers)
        bias_init = ("constant", {"value": 0.0}) if bias else None
        self.forward = tuple(
            DenseSynapse(
                (sizes[i], sizes[i + 1]),
                weight_init=weight_init,
                bias_init=bias_init,
                key=forward_keys[i],
            )
            for i in range(n_layers)
        )
        self.feedback = (
            None
            if tie_feedback
            else tuple(
                DenseSynapse(
                    (sizes[i + 1], sizes[i]),
                    weight_init=weight_init,
                    key=forward_keys[n_layers + i],
                )
                for i in range(1, n_layers)
            )
        )
        self.latents = tuple(
            RateCell(n, tau_m, act_fx=act, integration_type=integration_type)
            for n, act in zip(sizes[1:-1], acts, strict=True)
        )
        self.errors = tuple(GaussianErrorCell(n, s) for n, s in zip(sizes[1:], sigmas, strict=True))

    @property
    def tie_feedback(self) -> bool:
        return self.feedback is None

    def dimensions(self) -> dict[str, int]:
        """`n_in` and `n_out`: the sizes of the input and output layers."""
        return {"n_in": self.sizes[0], "n_out": self.sizes[-1]}

    def init_state(self, *, key: PRNGKeyArray | None = None) -> PredictiveCodingState:
        """Latents and errors at zero."""
        return PredictiveCodingState(
            z=tuple(cell.init_state() for cell in self.latents),
            e=tuple(cell.init_state() for cell in self.errors),
        )

    def feedforward_state(self, x: Float[Array, " n_in"]) -> PredictiveCodingState:
        """Latents set to the bottom-up prediction `z_l = μ_l` (zero error everywhere): the
        usual starting point of inference, and the network's feedforward answer."""
        check_input(type(self).__name__, "x", x, (self.sizes[0],))
        latents = []
        activity = x
        for synapse, cell in zip(self.forward[:-1], self.latents, strict=True):
            z = _project(synapse, activity)
            latents.append(RateCell.State(z=z, zF=cell.output(z)))
            activity = latents[-1].zF
        return PredictiveCodingState(
            z=tuple(latents), e=tuple(cell.init_state() for cell in self.errors)
        )

    def predict(self, state: PredictiveCodingState, x: Float[Array, " n_in"]) -> Array:
        """The top layer's prediction `μ_L` from the current latents."""
        return _project(self.forward[-1], state.z[-1].zF if state.z else x)

    def free_energy(
        self,
        state: PredictiveCodingState,
        inputs: PredictiveCodingInputs,
        *,
        outputs: tuple[Array, ...] | None = None,
        targets: tuple[Array, ...] | None = None,
    ) -> tuple[Float[Array, ""], tuple[GaussianErrorCellState, ...]]:
        """`(F, errors)`: the energy at `state`'s latents and the error cells' outputs.

        `outputs` (the hidden layers' `f(z)`, read by the synapses above them) and `targets`
        (their `z`, compared with the predictions from below) default to `state`'s; they are
        separate arguments so that their gradients, the bottom-up current and the top-down
        pressure of each layer, can be taken apart.
        """
        outputs = tuple(z.zF for z in state.z) if outputs is None else outputs
        targets = tuple(z.z for z in state.z) if targets is None else targets
        mu = [_project(w, a) for w, a in zip(self.forward, (inputs.x, *outputs), strict=True)]
        top = mu[-1] if inputs.y is None else inputs.y
        errors = tuple(
            cell.step(err, GaussianErrorCell.Inputs(mu=m, target=t), None, 1.0)
            for cell, err, m, t in zip(self.errors, state.e, mu, (*targets, top), strict=True)
        )
        return -sum(e.L for e in errors), errors

    def stable_time_step(self) -> tuple[Any, str] | None:
        """`dt ≤ limit·min(τ_m·σ)` over the stateful hidden layers: a layer relaxes at the
        rate `1/(τ_m·σ)` or faster (its leak term alone), and the stepper is stable only for
        `dt·rate ≤ limit` (its `stability_limit`). `None` while a parameter is traced."""
        limits = []
        for cell, error in zip(self.latents, self.errors, strict=False):
            tau, sigma = concrete(cell.tau_m), concrete(error.sigma)
            if not cell.is_stateful:
                continue
            if tau is None or sigma is None:
                return None
            limits.append(cell.integration_type.stability_limit * tau.min() * sigma.min())
        if not limits:
            return None
        stepper = type(self.latents[0].integration_type).__name__
        return min(limits), (
            "A hidden layer relaxes at the rate 1/(tau_m·sigma) or faster, and "
            f"{stepper} is stable only for dt·rate ≤ its stability limit."
        )

    def step(
        self,
        state: PredictiveCodingState,
        inputs: PredictiveCodingInputs,
        key: PRNGKeyArray | None,
        dt: TimeStep,
    ) -> PredictiveCodingState:
        """One synchronous inference step (see the class docstring); `key` is unused."""
        self.check_step(state, inputs, dt)
        outputs = tuple(z.zF for z in state.z)
        targets = tuple(z.z for z in state.z)
        (d_outputs, d_targets), errors = jax.grad(
            lambda a, z: self.free_energy(state, inputs, outputs=a, targets=z),
            argnums=(0, 1),
            has_aux=True,
        )(outputs, targets)
        latents = []
        for i, cell in enumerate(self.latents):  # hidden layer i + 1
            if self.feedback is None:
                bottom_up = -d_outputs[i]
            else:
                bottom_up = _project(self.feedback[i], errors[i + 1].dmu)
            drive = RateCell.Inputs(j=bottom_up, j_td=-d_targets[i])
            latents.append(cell.step(state.z[i], drive, None, dt))
        return PredictiveCodingState(z=tuple(latents), e=errors)

    def energy(self, state: PredictiveCodingState) -> Float[Array, ""]:
        """The energy F = −Σ_l L_l of the errors stored in `state` (by the step that made it:
        F at the start of that step)."""
        return -sum(e.L for e in state.e)

    def hebbian_gradients(
        self, state: PredictiveCodingState, inputs: PredictiveCodingInputs
    ) -> PyTree:
        """∂F/∂W_l = −f(z_{l−1})ᵀ e_l and ∂F/∂b_l = −e_l at `state` (local: each synapse sees
        only its presynaptic activity and its error), as a pytree shaped like
        `eqx.filter(model, eqx.is_inexact_array)` with `None` for everything else, ready for
        an optax optimiser. For a batch use `batch_hebbian_gradients`."""
        return self._forward_gradient(lambda net: net.free_energy(state, inputs)[0])

    def batch_hebbian_gradients(
        self,
        states: PredictiveCodingState,
        inputs: PredictiveCodingInputs,
        *,
        reduce: str = "mean",
    ) -> PyTree:
        """`hebbian_gradients` of a batch (`states` and `inputs` with a leading batch axis, as
        `vmap(simulate)` returns them), averaged (`reduce="mean"`) or summed (`"sum"`, as
        ngclearn's Hebbian synapse does) over it: the gradient of the batch's mean (or total)
        F, which autodiff computes as one matrix product `−f(Z_{l−1})ᵀ E_l` per layer."""
        owner = f"{type(self).__name__}.batch_hebbian_gradients"
        if reduce not in ("mean", "sum"):
            raise ValueError(f"{owner}: `reduce` must be 'mean' or 'sum', got {reduce!r}.")
        x = jnp.asarray(inputs.x)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(
                f"{owner}: `inputs.x` must have shape (batch, {self.sizes[0]}), got {x.shape}."
            )
        combine = jnp.mean if reduce == "mean" else jnp.sum

        def batch_energy(net):
            return combine(jax.vmap(lambda s, i: net.free_energy(s, i)[0])(states, inputs))

        return self._forward_gradient(batch_energy)

    def _forward_gradient(self, energy) -> PyTree:
        # The gradient of `energy(network)` with respect to the forward synapses' weights and
        # biases alone; `None` for every other leaf.
        plastic = jax.tree.map(lambda _: False, self)
        plastic = eqx.tree_at(
            lambda net: [p for w in net.forward for p in (w.weights, w.biases) if p is not None],
            plastic,
            replace_fn=lambda _: True,
        )
        params, static = eqx.partition(self, plastic)
        return jax.grad(lambda p: energy(eqx.combine(p, static)))(params)

    def hebbian_update(
        self, state: PredictiveCodingState, inputs: PredictiveCodingInputs, learning_rate: float
    ) -> "PredictiveCodingNetwork":
        """One local SGD step, `W_l ← W_l + η f(z_{l−1})ᵀ e_l`: a new network."""
        grads = self.hebbian_gradients(state, inputs)
        updates = jax.tree.map(lambda g: -learning_rate * g, grads)
        return eqx.apply_updates(self, updates)


def _project(synapse: DenseSynapse, x: Array) -> Array:
    """The synapse's output for presynaptic activity `x` (its public forward pass; the
    network builds no delays, so the state it starts from does not matter)."""
    return synapse.transmit(synapse.init_state(), DenseSynapse.Inputs(x), None, 1.0).outputs


def _per_layer(owner: str, name: str, value: Any, n: int) -> tuple[Any, ...]:
    """`value` for each of `n` layers: one value for all, or a sequence of `n`."""
    if isinstance(value, list | tuple):
        if len(value) != n:
            fail(owner, name, f"one value or a sequence of {n} (one per layer)", repr(value))
        return tuple(value)
    return (value,) * n
