r"""Learnable dynamics: training per-neuron time constants with the weights.

Every time constant of a dynax cell is an array leaf (`LIFCell.tau_m`, `RateCell.tau_m`, ...),
so `jax.grad` reaches it like any weight. This example trains the membrane time constants
of a spiking network, one per neuron, together with its weights, on a task where they
matter, and compares with the same network whose time constants stay frozen (same seeds,
same initial values, same optimiser, same number of updates).

**Delayed digit recall.** A digit (sklearn's 8×8, as 64 input currents, no encoder) is
shown for `present` steps; the input is then blank for `delay` steps; then a "go" cue (a
65th input channel at 1) is on for `respond` steps. The class is read from the leaky readout
during the response only: the logits are the mean readout potential over the last
`respond` steps. Nothing recurrent carries the digit across the delay, so the network must
hold it in the decaying membrane potentials of its LIF units or of its leaky readout,
which forget on their time constants. All start short (`tau_init`, default 3 ms against a
15 ms delay: a potential keeps (1 − dt/τ)¹⁵ ≈ 0.2 % of itself across the delay). With the
defaults (seed 0, 10 epochs), the test cross-entropy after training is

- time constants frozen: 2.21 (≈ log 10: the logits are nearly flat; the argmax of the
  faint remainder still gets 0.77 test accuracy);
- hidden LIF τ_m trained (readout frozen): 0.24, accuracy 0.93; the mean τ_m grows from 3
  to ≈ 10 ms: the LIF units learn to hold the digit below threshold until the go cue;
- all trained: 0.14, accuracy 0.96; here gradient descent finds another solution: the
  readout τ grows to ≈ 18 ms and integrates the hidden spikes of the presentation, while
  the hidden τ_m shrink to the floor (1 ms), so that the hidden units follow their input
  step by step.

The network is `dynax.examples.spiking_digits.SpikingClassifier` without an encoder; the
time constants are `(n,)` leaves of its `hidden` (LIFCell) and `readout` (RateCell), kept
in `[tau_min, tau_max]` after every update (`ClipTimeConstants`).
"""

from collections.abc import Collection
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, PRNGKeyArray

from ..datasets import Split
from ..training import EpochCallback, accuracy, fit_keyed
from .spiking_digits import SpikingClassifier, make_classifier, readout_trace


def delayed_recall_inputs(
    x: Float[Array, " n"], *, present: int, delay: int, respond: int
) -> Float[Array, "time n+1"]:
    """The input sequence of one trial: `[x, 0]` for `present` steps, zeros for `delay`
    steps, `[0, …, 0, 1]` (the go cue) for `respond` steps."""
    n = x.shape[-1]
    shown = jnp.concatenate([x, jnp.zeros((1,), x.dtype)])
    go = jnp.zeros((n + 1,), x.dtype).at[n].set(1.0)
    return jnp.concatenate(
        [
            jnp.broadcast_to(shown, (present, n + 1)),
            jnp.zeros((delay, n + 1), x.dtype),
            jnp.broadcast_to(go, (respond, n + 1)),
        ]
    )


class DelayedRecall(eqx.Module):
    """The task: `logits(model, x)` of a batch, and, called as an objective,
    `(model, (x, y), key) -> (loss, grads, metrics)` with the mean softmax cross-entropy of
    the logits, differentiated through `dynax.simulate` (surrogate gradients), and the
    minibatch accuracy (`key` is unused: the task has no noise)."""

    present: int = eqx.field(static=True, default=5)
    delay: int = eqx.field(static=True, default=15)
    respond: int = eqx.field(static=True, default=5)
    dt: float = eqx.field(static=True, default=1.0)

    @property
    def num_steps(self) -> int:
        return self.present + self.delay + self.respond

    def inputs(self, x: Float[Array, " n"]) -> Float[Array, "time n+1"]:
        """The input sequence of one trial (see `delayed_recall_inputs`)."""
        return delayed_recall_inputs(
            x, present=self.present, delay=self.delay, respond=self.respond
        )

    def logits(
        self, model: SpikingClassifier, x: Float[Array, "batch n"]
    ) -> Float[Array, "batch n_out"]:
        """The readout potentials averaged over the response window, for a batch."""

        def one(x):
            z = readout_trace(model, self.inputs(x), None, dt=self.dt)
            return jnp.mean(z[-self.respond :], axis=0)

        return jax.vmap(one)(x)

    def loss(self, model: SpikingClassifier, x, y) -> tuple[Array, Array]:
        """`(mean cross-entropy, logits)` of a batch."""
        z = self.logits(model, x)
        return jnp.mean(optax.softmax_cross_entropy(z, y)), z

    def __call__(self, model, batch, key):
        x, y = batch
        (loss, z), grads = eqx.filter_value_and_grad(self.loss, has_aux=True)(model, x, y)
        return loss, grads, {"train_accuracy": accuracy(z, y)}


class ClipTimeConstants(eqx.Module):
    """`model -> model` with the hidden and readout time constants clipped to
    `[low, high]` (a projection after each update keeps them positive and bounded)."""

    low: float = eqx.field(static=True)
    high: float = eqx.field(static=True)

    def __call__(self, model: SpikingClassifier) -> SpikingClassifier:
        def clip(tau):
            return jnp.clip(tau, self.low, self.high)

        model = eqx.tree_at(lambda m: m.hidden.tau_m, model, replace_fn=clip)
        return eqx.tree_at(lambda m: m.readout.tau_m, model, replace_fn=clip)


def learnable(model: SpikingClassifier) -> Any:
    """The filter spec of what is trained: both weight matrices and both `(n,)` time
    constants (hidden `tau_m`, readout `tau_m`)."""
    spec = jax.tree.map(lambda _: False, model)
    for where in _WHERE.values():
        spec = eqx.tree_at(where, spec, True)
    return spec


_WHERE = {
    "hidden_in.weights": lambda m: m.hidden_in.weights,
    "readout_in.weights": lambda m: m.readout_in.weights,
    "hidden.tau_m": lambda m: m.hidden.tau_m,
    "readout.tau_m": lambda m: m.readout.tau_m,
}
POPULATIONS = ("hidden", "readout")
"""The populations whose time constants can be trained."""
_TAUS = ("hidden.tau_m", "readout.tau_m")


def gradient_scale(model: SpikingClassifier, train_tau: Collection[str]) -> Any:
    """Multipliers of the gradients (`dynax.training.fit_keyed`'s `grad_scale`): 1 for the
    weights, and for the time constants of each population (`"hidden"`, `"readout"`) 1 if it
    is named in `train_tau`, else 0. Arrays, so that every choice shares one compiled epoch."""
    if isinstance(train_tau, str) or set(train_tau) - set(POPULATIONS):
        raise ValueError(
            f"`train_tau` must be a collection of names among {POPULATIONS}, got {train_tau!r}."
        )
    scale = jax.tree.map(lambda _: jnp.ones(()), eqx.filter(model, learnable(model)))
    for name in POPULATIONS:
        value = jnp.asarray(1.0 if name in train_tau else 0.0, dtype=jnp.float32)
        scale = eqx.tree_at(_WHERE[name + ".tau_m"], scale, value)
    return scale


def make_network(
    n_in: int = 65,
    n_hidden: int = 128,
    n_out: int = 10,
    *,
    key: PRNGKeyArray,
    tau_init: float = 3.0,
) -> SpikingClassifier:
    """A `SpikingClassifier` without encoder, all time constants `(n,)` arrays at
    `tau_init`."""
    return make_classifier(
        n_in,
        n_hidden,
        n_out,
        key=key,
        target_freq=None,
        tau_m=jnp.full((n_hidden,), tau_init),
        tau_out=jnp.full((n_out,), tau_init),
        input_gain=2.0,
    )


def train(
    data: Split,
    *,
    train_tau: Collection[str] = POPULATIONS,
    task: DelayedRecall | None = None,
    n_hidden: int = 128,
    epochs: int = 10,
    batch_size: int = 64,
    optimiser: optax.GradientTransformation | None = None,
    tau_init: float = 3.0,
    tau_min: float = 1.0,
    tau_max: float = 100.0,
    seed: int = 0,
    on_epoch: EpochCallback | None = None,
) -> tuple[SpikingClassifier, dict[str, np.ndarray]]:
    """Trains the delayed-recall network: its weights, and the time constants of the
    populations named in `train_tau` (`"hidden"`, `"readout"`; `()` freezes them all at
    `tau_init`). Runs that differ only in `train_tau` share one compiled epoch when given
    the same `optimiser` object (default: `default_optimiser()`, adam with 2e-2 for the
    weights and 0.2 ms per update for the time constants).

    **Returns:** `(model, history)`, history per epoch: `"loss"` (mean minibatch
    cross-entropy), `"train_accuracy"`, `"test_loss"`, `"test_accuracy"`, and the mean
    hidden and readout time constants `"tau_hidden"`, `"tau_readout"`; `on_epoch` as
    `dynax.training.fit`'s.
    """
    task = DelayedRecall() if task is None else task
    optimiser = default_optimiser() if optimiser is None else optimiser
    init_key, train_key = jax.random.split(jax.random.key(seed))
    model = make_network(
        data.x_train.shape[1] + 1,
        n_hidden,
        data.y_train.shape[1],
        key=init_key,
        tau_init=tau_init,
    )
    x_test, y_test = jnp.asarray(data.x_test), jnp.asarray(data.y_test)

    def evaluate(model):
        return _evaluate(model, x_test, y_test, task)

    return fit_keyed(
        model,
        optimiser,
        task,
        (data.x_train, data.y_train),
        epochs=epochs,
        batch_size=batch_size,
        key=train_key,
        filter_spec=learnable(model),
        grad_scale=gradient_scale(model, train_tau),
        project=ClipTimeConstants(tau_min, tau_max),
        evaluate=evaluate,
        on_epoch=on_epoch,
    )


def default_optimiser(
    learning_rate: float = 2e-2, tau_learning_rate: float = 0.2
) -> optax.GradientTransformation:
    """adam with one learning rate for the weights and another (in ms per step) for the
    time constants, on the parameters selected by `learnable`."""

    def labels(params):
        tags = jax.tree.map(lambda _: "weights", params)
        for name in _TAUS:
            tags = eqx.tree_at(_WHERE[name], tags, "tau")
        return tags

    return optax.multi_transform(
        {"weights": optax.adam(learning_rate), "tau": optax.adam(tau_learning_rate)}, labels
    )


@eqx.filter_jit
def _evaluate(model, x, y, task):
    loss, z = task.loss(model, x, y)
    return {
        "test_loss": loss,
        "test_accuracy": accuracy(z, y),
        "tau_hidden": jnp.mean(model.hidden.tau_m),
        "tau_readout": jnp.mean(model.readout.tau_m),
    }


VARIANTS = {"frozen": (), "hidden": ("hidden",), "all": POPULATIONS}
"""`compare`'s default runs: no time constant trained, the hidden ones only, all of them."""


def compare(
    data: Split, variants: dict[str, Collection[str]] | None = None, **kwargs
) -> dict[str, tuple[SpikingClassifier, dict[str, np.ndarray]]]:
    """`train` once per variant (`{name: train_tau}`, default `VARIANTS`) with the same seeds,
    initial values, optimiser and budget (one compiled epoch for all). `kwargs` go to `train`.

    **Returns:** `{name: (model, history)}`.
    """
    variants = VARIANTS if variants is None else variants
    optimiser = kwargs.pop("optimiser", None) or default_optimiser()
    return {
        name: train(data, train_tau=train_tau, optimiser=optimiser, **kwargs)
        for name, train_tau in variants.items()
    }
