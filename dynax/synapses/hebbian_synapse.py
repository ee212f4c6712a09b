"""HebbianSynapse: a dense cable whose weights learn by a two-factor Hebbian rule
(ngclearn's `HebbianSynapse`), with the rule as pure functions and optax optimisers."""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import optax
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._fields import argument, parameter, switch, to_param
from .._validate import NONNEGATIVE, PROBABILITY, check_shape, concrete
from .dense_synapse import DenseSynapse

PRIORS: dict[str | None, str] = {
    None: "none",
    "none": "none",
    "constant": "none",
    "l1": "l1",
    "lasso": "l1",
    "laplacian": "l1",
    "l2": "l2",
    "ridge": "l2",
    "gaussian": "l2",
    "l1l2": "l1l2",
    "elastic_net": "l1l2",
}
"""Prior names (the reference's, aliases included) → the penalty they apply: `"none"`
(the reference's `"constant"`), `"l1"`, `"l2"` or `"l1l2"` (elastic net)."""


def nag(learning_rate: Any, momentum: float = 0.9) -> optax.GradientTransformation:
    """The reference's Nesterov accelerated gradient, built from optax's own pieces.

    ngclearn's NAG is `φ = θ − ηΔ; θ⁺ = φ + μ(φ − φ_prev)`, with no momentum on the first
    call. That is optax's Nesterov momentum (`optax.sgd(η, momentum=μ, nesterov=True)`,
    Sutskever's form) restarted after one plain SGD step: the first update `−ηΔ₁` never enters
    the velocity. Plain `optax.sgd(..., nesterov=True)` differs: it applies `−η(1 + μ)Δ₁` first
    and keeps `Δ₁` in its velocity (an offset of about `ημΔ₁/(1 − μ)` that does not decay).
    Here: `chain(conditionally_transform(trace(μ, nesterov=True), step > 0),
    scale_by_learning_rate(η))`, which equals the reference exactly in exact arithmetic (and to
    float rounding in float32) as long as no clipping acts on the weights.
    """
    momentum_after_first = optax.transforms.conditionally_transform(
        optax.trace(decay=momentum, nesterov=True), lambda step: step > 0
    )
    return optax.chain(momentum_after_first, optax.scale_by_learning_rate(learning_rate))


OPTIMIZERS: dict[str, Callable[[Any], optax.GradientTransformation]] = {
    "sgd": lambda eta: optax.sgd(eta),
    "adam": lambda eta: optax.adam(eta, b1=0.9, b2=0.999, eps=1e-8),
    "nag": lambda eta: nag(eta, momentum=0.9),
}
"""`optim_type` names → optax transformations with learning rate `eta` (the reference's
hyper-parameters: Adam β₁ = 0.9, β₂ = 0.999, ε = 1e-8; NAG momentum μ = 0.9, see `nag`)."""


def as_batch(owner: str, name: str, x: ArrayLike, n: int) -> Float[Array, "batch n"]:
    """`x` of shape `(n,)` (one sample) or `(B, n)` (a batch) as a `(B, n)` array."""
    x = jnp.asarray(x)
    if x.shape == (n,):
        return x[None, :]
    if x.ndim == 2 and x.shape[1] == n:
        return x
    raise ValueError(
        f"{owner}: `{name}` must have shape ({n},) (one sample) or (B, {n}) (a batch), "
        f"got shape {x.shape}."
    )


def _check_batches(owner: str, names: tuple[str, ...], arrays: tuple[Array, ...]) -> None:
    sizes = {a.shape[0] for a in arrays}
    if len(sizes) > 1:
        shapes = ", ".join(f"`{n}` {a.shape}" for n, a in zip(names, arrays, strict=True))
        raise ValueError(f"{owner}: the signals must have the same batch size, got {shapes}.")


def hebbian_update(
    weights: Float[Array, "n_in n_out"],
    pre: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
    post: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
    *,
    pre_wght: ArrayLike = 1.0,
    post_wght: ArrayLike = 1.0,
    w_bound: ArrayLike = 0.0,
    prior_type: str = "none",
    prior_lmbda: ArrayLike = 0.0,
    l1_ratio: ArrayLike = 0.0,
    sign_value: ArrayLike = 1.0,
) -> tuple[Float[Array, "n_in n_out"], Float[Array, " n_out"]]:
    r"""The two-factor Hebbian update `(ΔW, Δb)` (a pure function).

    With `P = pre·pre_wght` and `Q = post·post_wght` (rows are samples),

    $$ΔW = s\,[(P^⊤ Q) ⊙ B(W) + R(W)], \qquad Δb = s \sum_{\text{batch}} Q,$$

    where `s` is `sign_value`, `B(W) = w_bound − |W|` if `w_bound > 0` (soft bound) else 1,
    and `R` is the prior's penalty: `−λW` (l2), `−λ·sign W` (l1) or
    `−λ(r·sign W + (1 − r)W/2)` (elastic net, `r = l1_ratio`), `0` without a prior.

    `pre` and `post` are one sample (`(n_in,)`, `(n_out,)`) or a batch (`(B, n_in)`,
    `(B, n_out)`): the Hebbian term is **summed** over the batch (not averaged), as in the
    reference, while the prior is added once per update, whatever the batch size.

    The update is an *ascent* direction for `sign_value = 1`; the optimisers descend along
    what they are given, so predictive-coding models use `sign_value = −1` (see
    `HebbianSynapse`).
    """
    owner = "hebbian_update"
    n_in, n_out = weights.shape
    P = as_batch(owner, "pre", pre, n_in) * pre_wght
    Q = as_batch(owner, "post", post, n_out) * post_wght
    _check_batches(owner, ("pre", "post"), (P, Q))
    dW = jnp.matmul(P.T, Q)
    db = jnp.sum(Q, axis=0)
    w_bound = jnp.asarray(w_bound)
    dW = jnp.where(w_bound > 0, dW * (w_bound - jnp.abs(weights)), dW)
    if prior_type == "l2":
        dW = dW + (-weights * prior_lmbda)
    elif prior_type == "l1":
        dW = dW + (-jnp.sign(weights) * prior_lmbda)
    elif prior_type == "l1l2":
        penalty = -jnp.sign(weights) * l1_ratio - weights * (1.0 - l1_ratio) / 2
        dW = dW + penalty * prior_lmbda
    elif prior_type != "none":
        raise ValueError(
            f"{owner}: `prior_type` must be one of 'none', 'l1', 'l2', 'l1l2', got {prior_type!r}."
        )
    dtype = weights.dtype
    return (dW * sign_value).astype(dtype), (db * sign_value).astype(dtype)


def constrain_weights(
    weights: Float[Array, "n_in n_out"],
    w_bound: ArrayLike,
    is_nonnegative: bool,
    mask: Float[Array, "n_in n_out"] | None = None,
) -> Float[Array, "n_in n_out"]:
    """The weights after an update: clipped to `[0, w_bound]` (`is_nonnegative`) or
    `[−w_bound, w_bound]` when `w_bound > 0`; with `w_bound = 0`, only `W ≥ 0` is enforced
    (and only if `is_nonnegative`); then zero wherever `mask` is 0."""
    w_bound = jnp.asarray(w_bound, weights.dtype)
    lower = jnp.zeros_like(w_bound) if is_nonnegative else -w_bound
    unbounded = jnp.maximum(weights, 0) if is_nonnegative else weights
    weights = jnp.where(w_bound > 0, jnp.clip(weights, lower, w_bound), unbounded)
    if mask is not None:
        weights = jnp.where(mask != 0, weights, jnp.zeros_like(weights))
    return weights


def _parse_prior(owner: str, prior: Any, w_decay: ArrayLike) -> tuple[str, Array, Array]:
    """`(kind, λ, l1_ratio)` from the reference's `prior` pair and `w_decay` shortcut."""
    decay = argument(owner, "w_decay", w_decay, NONNEGATIVE)
    if not (isinstance(prior, tuple | list) and len(prior) == 2):
        raise ValueError(
            f"{owner}: `prior` must be a pair (name, lambda), e.g. ('l2', 0.01) or "
            f"('elastic_net', (lambda, l1_ratio)), got {prior!r}."
        )
    name, value = prior
    key = name.lower() if isinstance(name, str) else name
    if key not in PRIORS:
        allowed = ", ".join(repr(n) for n in PRIORS if n is not None)
        raise ValueError(f"{owner}: `prior` name must be one of {allowed}, got {name!r}.")
    kind = PRIORS[key]
    zero = to_param(0.0)
    decay_value = concrete(w_decay)
    if decay_value is None or float(decay_value) > 0:
        if kind != "none":
            raise ValueError(
                f"{owner}: pass either `w_decay` (a shortcut for prior=('l2', w_decay)) or "
                f"`prior`, not both; got w_decay={w_decay!r} and prior={prior!r}."
            )
        return "l2", decay, zero
    if kind == "none":  # the reference's ("constant", anything): no penalty
        return "none", zero, zero
    if kind == "l1l2":
        if not (isinstance(value, tuple | list) and len(value) == 2):
            raise ValueError(
                f"{owner}: `prior` {name!r} takes a pair (lambda, l1_ratio), got {value!r}."
            )
        lmbda = argument(owner, "prior lambda", value[0], NONNEGATIVE)
        ratio = argument(owner, "prior l1_ratio", value[1], PROBABILITY)
        return kind, lmbda, ratio
    if isinstance(value, tuple | list):
        raise ValueError(f"{owner}: `prior` {name!r} takes one lambda, got {value!r}.")
    return kind, argument(owner, "prior lambda", value, NONNEGATIVE), zero


class HebbianSynapse(DenseSynapse):
    r"""A dense synapse whose weights learn by a two-factor Hebbian rule.

    The forward pass, state, inputs, masks, delays and initializers are `DenseSynapse`'s
    (`outputs = (x @ (W ⊙ M)) ⊙ gate · g + b`); this class adds the learning rule. Learning
    returns a **new** synapse (the module is immutable) and a new optimiser state:

    ```python
    syn = HebbianSynapse((n_in, n_out), eta=0.01, sign_value=-1.0, key=key)
    opt_state = syn.init_opt_state()
    state = syn.step(state, syn.Inputs(x), None, dt)          # forward (one sample)
    syn, opt_state = syn.evolve(opt_state, pre, post)         # learning (sample or batch)
    ```

    The update (`calc_update`, see `hebbian_update`), with `P = pre·pre_wght`,
    `Q = post·post_wght` summed over a leading batch axis if there is one:

    $$ΔW = s\,[(P^⊤ Q) ⊙ (w_{bound} − |W|) + R(W)], \qquad Δb = s \sum Q,$$

    (the soft bound only when `w_bound > 0`; `R` the prior's penalty, `s = sign_value`), then
    one step of the optimiser, which **descends** along `(ΔW, Δb)` (sgd: `W ← W − η ΔW`): a
    predictive-coding model that wants Hebbian ascent sets `sign_value = −1`, as with the
    reference. Finally `W` is clipped to `[0, w_bound]` (`is_nonnegative`) or
    `[−w_bound, w_bound]` when `w_bound > 0`, and zeroed where the structural mask is 0. Biases
    learn only if the synapse has biases (`bias_init` given).

    Optimisers are optax transformations: `optim_type` is a name — `"sgd"` (`optax.sgd(η)`),
    `"adam"` (`optax.adam(η)`, the reference's β₁, β₂, ε) or `"nag"` (optax's Nesterov
    momentum μ = 0.9 after one plain SGD step, as the reference; see `nag`) — or any
    `optax.GradientTransformation`, which then carries its own learning rate (and `eta` must
    not be given). With a name, `eta` is an array leaf: a new value does not recompile, and it
    can be traced or differentiated.

    Plasticity inside a simulated trajectory (a weight change every step) keeps the plastic
    part in the carry of the scan, next to the state (the module is a pytree):

    ```python
    def body(carry, xs):
        syn, opt_state, state = carry
        x, pre, post = xs
        state = syn.step(state, syn.Inputs(x), None, dt)     # outputs with the old weights
        syn, opt_state = syn.evolve(opt_state, pre, post)    # then learn
        return (syn, opt_state, state), state.outputs

    carry, outputs = jax.lax.scan(body, (syn, syn.init_opt_state(), syn.init_state()), xs)
    ```

    Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
    """

    eta: Float[Array, ""] = parameter(constraint=NONNEGATIVE, per=None)
    w_bound: Float[Array, ""] = parameter(
        constraint=NONNEGATIVE, per=None, hint="Use 0 to turn the bound off."
    )
    sign_value: Float[Array, ""] = parameter(per=None)
    pre_wght: Float[Array, ""] | Float[Array, " n_in"] = parameter(per="n_in")
    post_wght: Float[Array, ""] | Float[Array, " n_out"] = parameter(per="n_out")
    prior_lmbda: Float[Array, ""]
    l1_ratio: Float[Array, ""]
    prior_type: str = eqx.field(static=True)
    is_nonnegative: bool = switch()
    optim_type: Any = eqx.field(static=True)

    def __init__(
        self,
        shape: tuple[int, int],
        eta: ArrayLike | None = None,
        weight_init=None,
        bias_init=None,
        w_bound: ArrayLike = 1.0,
        is_nonnegative: bool = False,
        prior: tuple[str | None, Any] = ("constant", 0.0),
        w_decay: ArrayLike = 0.0,
        sign_value: ArrayLike = 1.0,
        optim_type: str | optax.GradientTransformation = "sgd",
        pre_wght: ArrayLike = 1.0,
        post_wght: ArrayLike = 1.0,
        p_conn: ArrayLike = 1.0,
        g_conduct_factor: ArrayLike = 1.0,
        *,
        mask: ArrayLike | None = None,
        max_delay_steps: int = 0,
        p_release_mean: ArrayLike = 1.0,
        delays: ArrayLike | None = None,
        key: PRNGKeyArray | None = None,
        resist_scale: ArrayLike | None = None,
    ):
        """**Arguments:**

        - `shape`: `(n_in, n_out)`.
        - `eta`: learning rate (≥ 0) of the named optimiser; default 0 (no learning, as the
            reference). Not allowed with an optax transformation (it has its own).
        - `weight_init`, `bias_init`, `p_conn`, `g_conduct_factor`, `mask`,
            `max_delay_steps`, `p_release_mean`, `delays`, `key`, `resist_scale`: as
            `DenseSynapse` (no `bias_init`: no biases, none learned).
        - `w_bound`: the bound (≥ 0) of the soft bound and of the clipping; 0 turns both off.
        - `is_nonnegative`: clip to `[0, w_bound]` instead of `[−w_bound, w_bound]`.
        - `prior`: `(name, λ)` with name `"constant"`/`None` (no prior), `"l1"`/`"lasso"`/
            `"laplacian"`, `"l2"`/`"ridge"`/`"gaussian"`, or `"l1l2"`/`"elastic_net"` with
            `λ = (scale, l1_ratio)`, `l1_ratio ∈ [0, 1]`; λ ≥ 0.
        - `w_decay`: shortcut for `prior=("l2", w_decay)` when > 0.
        - `sign_value`: multiplies the update; −1 turns the optimisers' descent into Hebbian
            ascent.
        - `optim_type`: `"sgd"`, `"adam"`, `"nag"`, or an `optax.GradientTransformation`.
        - `pre_wght`, `post_wght`: weights of the pre/post signals (scalars, or per unit
            `(n_in,)` / `(n_out,)`).
        """
        super().__init__(
            shape,
            weight_init=weight_init,
            bias_init=bias_init,
            g_conduct_factor=g_conduct_factor,
            p_release_mean=p_release_mean,
            p_conn=p_conn,
            max_delay_steps=max_delay_steps,
            mask=mask,
            delays=delays,
            key=key,
            resist_scale=resist_scale,
        )
        owner = type(self).__name__
        if self.mask is not None:
            self.weights = jnp.where(self.mask != 0, self.weights, jnp.zeros_like(self.weights))
        if isinstance(optim_type, str):
            if optim_type not in OPTIMIZERS:
                allowed = ", ".join(repr(n) for n in OPTIMIZERS)
                raise ValueError(
                    f"{owner}: `optim_type` must be one of {allowed} or an "
                    f"optax.GradientTransformation, got {optim_type!r}."
                )
            eta = 0.0 if eta is None else eta
        elif isinstance(optim_type, optax.GradientTransformation):
            if eta is not None:
                raise ValueError(
                    f"{owner}: `eta` must not be given with an optax transformation as "
                    f"`optim_type` (its learning rate is part of it), got eta={eta!r}."
                )
            eta = 0.0
        else:
            raise ValueError(
                f"{owner}: `optim_type` must be one of 'sgd', 'adam', 'nag' or an "
                f"optax.GradientTransformation, got {optim_type!r}."
            )
        self.optim_type = optim_type
        self.eta = eta
        self.w_bound = w_bound
        self.is_nonnegative = is_nonnegative
        self.prior_type, self.prior_lmbda, self.l1_ratio = _parse_prior(owner, prior, w_decay)
        self.sign_value = sign_value
        self.pre_wght = pre_wght
        self.post_wght = post_wght

    # ------------------------------------------------------------------ learning

    @property
    def optimizer(self) -> optax.GradientTransformation:
        """The optax transformation of `optim_type` (built with the current `eta`)."""
        if isinstance(self.optim_type, str):
            return OPTIMIZERS[self.optim_type](self.eta)
        return self.optim_type

    def _params(self) -> dict[str, Array]:
        params = {"weights": self.weights}
        if self.biases is not None:
            params["biases"] = self.biases
        return params

    def init_opt_state(self) -> optax.OptState:
        """The optimiser's initial state for this synapse's plastic parameters (`weights`, and
        `biases` if it has them)."""
        return self.optimizer.init(self._params())

    def calc_update(
        self,
        pre: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
        post: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
    ) -> tuple[Float[Array, "n_in n_out"], Float[Array, " n_out"]]:
        """`(ΔW, Δb)` for the current weights (see `hebbian_update`): the reference's
        `dWeights`/`dBiases`. `pre`/`post` are one sample or a batch (summed)."""
        return hebbian_update(
            self.weights,
            pre,
            post,
            pre_wght=self.pre_wght,
            post_wght=self.post_wght,
            w_bound=self.w_bound,
            prior_type=self.prior_type,
            prior_lmbda=self.prior_lmbda,
            l1_ratio=self.l1_ratio,
            sign_value=self.sign_value,
        )

    def apply_update(
        self,
        opt_state: optax.OptState,
        dW: Float[ArrayLike, "n_in n_out"],
        db: Float[ArrayLike, " n_out"] | None = None,
    ) -> tuple["HebbianSynapse", optax.OptState]:
        """One optimiser step along `(dW, db)` (descent), then the clipping and the mask.

        **Returns:** `(new_synapse, new_opt_state)`; `self` is unchanged. `db` is ignored by
        a synapse without biases (and taken as 0 if `None`); for a scalar bias it is summed.
        """
        owner = type(self).__name__
        dW = jnp.asarray(dW)
        check_shape(owner, "dW", dW, [(self.n_in, self.n_out)])
        params = self._params()
        grads = {"weights": dW.astype(self.weights.dtype)}
        if self.biases is not None:
            db = jnp.zeros((self.n_out,), self.biases.dtype) if db is None else jnp.asarray(db)
            check_shape(owner, "db", db, [(self.n_out,)])
            if self.biases.ndim == 0:
                db = jnp.sum(db)
            grads["biases"] = db.astype(self.biases.dtype)
        updates, opt_state = self.optimizer.update(grads, opt_state, params)
        new = optax.apply_updates(params, updates)
        weights = constrain_weights(new["weights"], self.w_bound, self.is_nonnegative, self.mask)
        synapse = eqx.tree_at(lambda s: s.weights, self, weights)
        if self.biases is not None:
            synapse = eqx.tree_at(lambda s: s.biases, synapse, new["biases"])
        return synapse, opt_state

    def evolve(
        self,
        opt_state: optax.OptState,
        pre: Float[ArrayLike, " n_in"] | Float[ArrayLike, "batch n_in"],
        post: Float[ArrayLike, " n_out"] | Float[ArrayLike, "batch n_out"],
    ) -> tuple["HebbianSynapse", optax.OptState]:
        """`apply_update(opt_state, *calc_update(pre, post))`: one learning step.

        **Returns:** `(new_synapse, new_opt_state)`; `self` is unchanged.
        """
        dW, db = self.calc_update(pre, post)
        return self.apply_update(opt_state, dW, db)


__all__ = [
    "OPTIMIZERS",
    "PRIORS",
    "HebbianSynapse",
    "as_batch",
    "constrain_weights",
    "hebbian_update",
    "nag",
]
