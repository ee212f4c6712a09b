"""Training helpers: shuffled minibatches, accuracy, and an optax loop over jitted epochs.

Any gradient works: `jax.grad` of a loss (through `dynax.simulate` if the model runs over
time) or a local learning rule such as `PredictiveCodingNetwork.hebbian_gradients`. The loop
only needs `objective(model, batch) -> (loss, grads)`, with `grads` shaped like the model (as
`eqx.filter_value_and_grad` returns them: `None` where there is nothing to learn).
"""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, PyTree

from ._validate import check_int

Objective = Callable[[PyTree, PyTree], tuple[Float[Array, ""], PyTree]]
KeyedObjective = Callable[[PyTree, PyTree, PRNGKeyArray], tuple[Array, PyTree, dict]]
EpochCallback = Callable[[int, dict[str, float]], None]


def minibatches(key: PRNGKeyArray, data: PyTree, batch_size: int) -> PyTree:
    """Shuffles `data` (a pytree of arrays with the same leading sample axis n) and cuts it into
    `n // batch_size` minibatches: every leaf gets shape `(n // batch_size, batch_size, ...)`.
    The last `n % batch_size` samples of the shuffled order are dropped (a different few each
    epoch). Pure JAX: usable inside `jit` and as the `xs` of a `lax.scan`."""
    check_int("minibatches", "batch_size", batch_size, minimum=1)
    n = _num_samples("minibatches", data)
    if batch_size > n:
        raise ValueError(f"minibatches: `batch_size` ({batch_size}) exceeds the {n} samples.")
    n_batches = n // batch_size
    order = jax.random.permutation(key, n)[: n_batches * batch_size]
    return jax.tree.map(
        lambda x: jnp.asarray(x)[order].reshape(n_batches, batch_size, *jnp.shape(x)[1:]), data
    )


def accuracy(predictions: ArrayLike, labels: ArrayLike) -> Float[Array, ""]:
    """The share of rows of `predictions` (scores, `(n, n_classes)`) whose argmax is the label;
    `labels` are one-hot / scores `(n, n_classes)` or integer classes `(n,)`."""
    predictions = jnp.asarray(predictions)
    labels = jnp.asarray(labels)
    if predictions.ndim != 2:
        raise ValueError(
            f"accuracy: `predictions` must have shape (n, n_classes), got {predictions.shape}."
        )
    if labels.ndim == 2:
        labels = jnp.argmax(labels, axis=-1)
    if labels.shape != predictions.shape[:1]:
        raise ValueError(
            f"accuracy: `labels` must have shape ({predictions.shape[0]},) or "
            f"{predictions.shape}, got {labels.shape}."
        )
    return jnp.mean(jnp.argmax(predictions, axis=-1) == labels)


def apply_gradients(
    model: PyTree,
    grads: PyTree,
    optimiser: optax.GradientTransformation,
    opt_state: optax.OptState,
    filter_spec: Any = eqx.is_inexact_array,
) -> tuple[PyTree, optax.OptState]:
    """One optax step on the parts of `model` selected by `filter_spec` (an equinox filter:
    a callable on leaves or a pytree of bools, as for `eqx.filter`); the rest is left as it is.
    `opt_state` must come from `optimiser.init(eqx.filter(model, filter_spec))`. Returns the
    new model and optimiser state."""
    params = eqx.filter(model, filter_spec)
    grads = eqx.filter(grads, filter_spec)
    updates, opt_state = optimiser.update(grads, opt_state, params)
    return eqx.apply_updates(model, updates), opt_state


def fit(
    model: PyTree,
    optimiser: optax.GradientTransformation,
    objective: Objective,
    data: PyTree,
    *,
    epochs: int,
    batch_size: int,
    key: PRNGKeyArray,
    filter_spec: Any = eqx.is_inexact_array,
    evaluate: Callable[[PyTree], dict[str, ArrayLike]] | None = None,
    on_epoch: EpochCallback | None = None,
) -> tuple[PyTree, dict[str, np.ndarray]]:
    """Trains `model` for `epochs` passes over `data` and records per-epoch metrics.

    Each epoch is one compiled call (`eqx.filter_jit` around a `lax.scan` over the shuffled
    minibatches of `minibatches`), compiled on the first epoch and reused by the others. The
    compilation is also reused by a later call with the same optimiser object, an equal
    `objective` (a module-level function, or an `eqx.Module` with static fields) and
    `filter_spec`, and the same shapes.

    **Arguments:**

    - `model`: the initial model (any pytree, usually an `eqx.Module`).
    - `optimiser`: an optax gradient transformation (e.g. `optax.adam(1e-3)`).
    - `objective`: `(model, batch) -> (loss, grads)` for one minibatch, where `batch` is
        `data` with a leading axis of `batch_size`, `loss` a scalar and `grads` shaped like
        the model (e.g. `eqx.filter_value_and_grad(loss_fn)`, or a local learning rule).
    - `data`: the training set, a pytree of arrays with a common leading sample axis.
    - `epochs`, `batch_size`: the schedule (the shuffled remainder of each epoch is dropped).
    - `key`: for the shuffling; epoch i uses `jax.random.fold_in(key, i)`.
    - `filter_spec`: which parts of `model` the optimiser changes (see `apply_gradients`).
    - `evaluate`: `model -> {name: scalar}`, called after every epoch (e.g. test accuracy);
        jit it yourself if it is costly.
    - `on_epoch`: `(epoch, metrics) -> None`, called after every epoch with that epoch's
        metrics as floats (for progress lines; `dynax.demo` prints them).

    **Returns:** `(model, history)`: the trained model and a dict of NumPy arrays of length
    `epochs`: `"loss"` (the epoch's mean minibatch loss) and every key that `evaluate`
    returns.
    """
    return _fit(
        model,
        optimiser,
        _WithoutKey(objective),
        data,
        epochs=epochs,
        batch_size=batch_size,
        key=key,
        keyed=False,
        filter_spec=filter_spec,
        grad_scale=None,
        project=None,
        evaluate=evaluate,
        on_epoch=on_epoch,
    )


def fit_keyed(
    model: PyTree,
    optimiser: optax.GradientTransformation,
    objective: KeyedObjective,
    data: PyTree,
    *,
    epochs: int,
    batch_size: int,
    key: PRNGKeyArray,
    filter_spec: Any = eqx.is_inexact_array,
    grad_scale: PyTree | None = None,
    project: Callable[[PyTree], PyTree] | None = None,
    evaluate: Callable[[PyTree], dict[str, ArrayLike]] | None = None,
    on_epoch: EpochCallback | None = None,
) -> tuple[PyTree, dict[str, np.ndarray]]:
    """`fit` for objectives that need randomness (a Poisson encoder): each minibatch gets its
    own key, `objective(model, batch, key) -> (loss, grads, metrics)`.

    **Arguments:** as `fit`'s, and

    - `key`: epoch i uses `fold_in(key, i)`, split into the shuffling key and one key per
        minibatch.
    - `grad_scale`: optional multipliers of the gradients, a pytree shaped like
        `eqx.filter(model, filter_spec)` whose leaves broadcast against them (arrays: `0.0`
        freezes a leaf without recompiling, as the learnable-dynamics example does).
    - `project`: optional `model -> model` applied after every update (e.g. clipping time
        constants to a range); it should compare equal between calls to reuse the compiled
        epoch (a module-level function or an `eqx.Module`).

    **Returns:** `(model, history)`: per epoch `"loss"` (mean minibatch loss), the means of
    the objective's `metrics`, and what `evaluate` returns.
    """
    return _fit(
        model,
        optimiser,
        objective,
        data,
        epochs=epochs,
        batch_size=batch_size,
        key=key,
        keyed=True,
        filter_spec=filter_spec,
        grad_scale=grad_scale,
        project=project,
        evaluate=evaluate,
        on_epoch=on_epoch,
    )


class _WithoutKey(eqx.Module):
    """A `fit` objective as a `fit_keyed` one (no key, no extra metrics)."""

    objective: Objective

    def __call__(self, model, batch, key):
        loss, grads = self.objective(model, batch)
        return loss, grads, {}


def _fit(
    model,
    optimiser,
    objective,
    data,
    *,
    epochs,
    batch_size,
    key,
    keyed,
    filter_spec,
    grad_scale,
    project,
    evaluate,
    on_epoch,
):
    owner = "fit_keyed" if keyed else "fit"
    check_int(owner, "epochs", epochs, minimum=1)
    check_int(owner, "batch_size", batch_size, minimum=1)
    n = _num_samples(owner, data)
    if batch_size > n:
        raise ValueError(f"{owner}: `batch_size` ({batch_size}) exceeds the {n} training samples.")
    data = jax.tree.map(jnp.asarray, data)
    opt_state = optimiser.init(eqx.filter(model, filter_spec))
    history: dict[str, list[float]] = {}
    for epoch in range(epochs):
        model, opt_state, metrics = _run_epoch(
            model,
            opt_state,
            data,
            jax.random.fold_in(key, epoch),
            grad_scale,
            optimiser=optimiser,
            objective=objective,
            filter_spec=filter_spec,
            batch_size=batch_size,
            project=project,
            keyed=keyed,
        )
        if evaluate is not None:
            metrics = {**metrics, **evaluate(model)}
        record_epoch(history, epoch, metrics, on_epoch)
    return model, {name: np.asarray(values) for name, values in history.items()}


def record_epoch(
    history: dict[str, list[float]],
    epoch: int,
    metrics: dict[str, ArrayLike],
    on_epoch: EpochCallback | None,
) -> None:
    """Appends one epoch's `metrics` to `history` (as floats) and reports them to `on_epoch`."""
    values = {name: float(value) for name, value in metrics.items()}
    for name, value in values.items():
        history.setdefault(name, []).append(value)
    if on_epoch is not None:
        on_epoch(epoch, values)


@eqx.filter_jit
def _run_epoch(
    model,
    opt_state,
    data,
    key,
    grad_scale,
    *,
    optimiser,
    objective,
    filter_spec,
    batch_size,
    project,
    keyed,
):
    params, static = eqx.partition(model, filter_spec)
    if keyed:  # the shuffle and one key per minibatch
        shuffle_key, noise_key = jax.random.split(key)
    else:
        shuffle_key, noise_key = key, None
    batches = minibatches(shuffle_key, data, batch_size)
    n_batches = jax.tree.leaves(batches)[0].shape[0]
    keys = None if noise_key is None else jax.random.split(noise_key, n_batches)

    def train_step(carry, batch_and_key):
        params, opt_state = carry
        batch, batch_key = batch_and_key
        model = eqx.combine(params, static)
        loss, grads, metrics = objective(model, batch, batch_key)
        if grad_scale is not None:
            grads = eqx.filter(grads, filter_spec)
            grads = jax.tree.map(lambda g, c: g * c, grads, grad_scale)
        model, opt_state = apply_gradients(model, grads, optimiser, opt_state, filter_spec)
        if project is not None:
            model = project(model)
        return (eqx.filter(model, filter_spec), opt_state), {"loss": loss, **metrics}

    (params, opt_state), metrics = jax.lax.scan(train_step, (params, opt_state), (batches, keys))
    return eqx.combine(params, static), opt_state, jax.tree.map(jnp.mean, metrics)


def _num_samples(owner: str, data: PyTree) -> int:
    leaves = jax.tree.leaves(data)
    if not leaves:
        raise ValueError(f"{owner}: `data` has no arrays.")
    sizes = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            f"{owner}: every leaf of `data` needs the same leading sample axis, got leading "
            f"sizes {sorted(map(str, sizes))}."
        )
    return sizes.pop()
