"""Initializers of weights, biases and resources, as pure functions of `(key, shape)`.

Each factory returns an initializer

```python
init = dynax.initializers.uniform(0.025, 0.8)
W = init(key, (n_in, n_out))            # float32 unless `dtype` says otherwise
```

that draws only from `key` (same key, same array). The kinds are those of ngclearn's
`DistributionGenerator`: `constant`, `uniform`, `gaussian`, `log_gaussian`, `fan_in_uniform`,
`fan_in_gaussian`, `diag_offdiag`. Every factory also takes the reference's post-processing
options as keyword arguments (see `post_process`), applied in the reference's order: `amin`,
`amax`, `lower_triangle`/`upper_triangle`, `hollow`, `eye`, `col_mask`, `row_mask`.

As in the reference, `key` is split once into `(k_sample, k_post)`: the values are drawn with
`k_sample`, and `k_post` is split again for each random mask (columns first, then rows). With
the same key, `uniform`, `gaussian`, `fan_in_gaussian` and `constant` give bit for bit the
arrays that ngclearn 3.2.3's JAX path gives.

`get_initializer(name, **kwargs)` builds one by name, and `as_initializer(spec)` accepts what
a synapse constructor takes: an initializer (any callable `(key, shape) -> array`), a name, or
a `(name, kwargs)` pair as recorded in the golden files (`["uniform", {"low": 0.1}]`).

Differences from ngclearn 3.2.3: `docs/migrating-from-ngclearn.md` §7.2.
"""

import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypedDict, Unpack

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, PRNGKeyArray

from ._validate import NONNEGATIVE, check_value, concrete

Shape: TypeAlias = int | Sequence[int]
Initializer: TypeAlias = Callable[..., Array]
"""`init(key, shape, dtype=None) -> array`; `key` may be `None` where nothing is random."""

Mask: TypeAlias = int | Sequence[int]


class PostProcessing(TypedDict, total=False):
    """The post-processing options every factory accepts (see `post_process`)."""

    amin: float
    amax: float
    lower_triangle: bool
    upper_triangle: bool
    hollow: bool
    eye: bool
    col_mask: Mask
    row_mask: Mask
    dtype: Any


_POST_OPTIONS = tuple(PostProcessing.__annotations__)


class _Initializer:
    """A configured initializer: `sample(key, shape, dtype)` followed by the post-processing."""

    def __init__(
        self,
        name: str,
        arguments: dict[str, Any],
        sample: Callable[[PRNGKeyArray | None, tuple[int, ...], Any], Array],
        *,
        random: bool,
        min_ndim: int = 0,
        ndim: int | None = None,
        options: PostProcessing,
    ):
        self.name = name
        self.arguments = arguments
        self.options = _check_options(name, options)
        self._sample = sample
        self._random = random
        self._min_ndim = min_ndim
        self._ndim = ndim

    def __repr__(self) -> str:
        items = {**self.arguments, **self.options}
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in items.items())})"

    def __call__(self, key: PRNGKeyArray | None, shape: Shape, dtype: Any = None) -> Array:
        """Draws an array of `shape`.

        **Arguments:**

        - `key`: a JAX PRNG key; may be `None` only if nothing is random (a constant without a
            random mask).
        - `shape`: an int or a tuple of non-negative ints; `(n_in, n_out)` for weights.
        - `dtype`: a floating dtype; defaults to the factory's `dtype` option, else float32.

        **Returns:** the array, of `shape` and `dtype`.
        """
        shape = _check_shape(self.name, shape, self._min_ndim, self._ndim, self.options)
        dtype = _check_dtype(self.name, self.options.get("dtype") if dtype is None else dtype)
        needs_key = self._random or _has_random_mask(self.options)
        if key is None:
            if needs_key:
                raise ValueError(
                    f"{self!r} draws random numbers and needs a PRNG key, got key=None. "
                    "Pass e.g. jax.random.key(0)."
                )
            k_sample = k_post = None
        elif self._random:
            k_sample, k_post = jax.random.split(key)
        else:
            k_sample = k_post = key  # as the reference: a constant masks with the key itself
        values = self._sample(k_sample, shape, dtype).astype(dtype)
        return _post_process(self.options, values, k_post).astype(dtype)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and (
        isinstance(value, int | float | np.number) or isinstance(value, jax.Array | np.ndarray)
    )


def _check_scalar(owner: str, name: str, value: Any) -> None:
    if not _is_number(value) or jnp.ndim(value) != 0:
        raise ValueError(f"{owner}: `{name}` must be a real scalar, got {value!r}.")
    array = concrete(value)
    if array is not None and not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise ValueError(f"{owner}: `{name}` must be a real scalar, got {value!r}.")
    check_value(owner, name, value)


def _check_mask(owner: str, name: str, mask: Any) -> Mask | None:
    if mask is None:
        return None
    if isinstance(mask, int | np.integer) and not isinstance(mask, bool):
        if mask < 0:
            raise ValueError(
                f"{owner}: `{name}` must be a number of lines to keep (an int >= 0) or a list "
                f"of indices, got {mask!r}."
            )
        return int(mask)
    if isinstance(mask, Sequence | np.ndarray) and not isinstance(mask, str):
        indices = list(mask)
        if not all(
            isinstance(i, int | np.integer) and not isinstance(i, bool) and i >= 0 for i in indices
        ):
            raise ValueError(
                f"{owner}: `{name}` as a list must hold non-negative int indices, got {mask!r}."
            )
        if len(set(indices)) != len(indices):
            raise ValueError(f"{owner}: `{name}` repeats an index: {mask!r}.")
        return tuple(int(i) for i in indices)
    raise ValueError(
        f"{owner}: `{name}` must be an int (how many random lines to keep) or a list of "
        f"indices to keep, got {mask!r}."
    )


def _check_options(owner: str, options: dict[str, Any]) -> PostProcessing:
    unknown = [name for name in options if name not in _POST_OPTIONS]
    if unknown:
        hint = ""
        if "use_numpy" in unknown:
            hint = " dynax draws with jax.random only; there is no `use_numpy` path."
        allowed = ", ".join(repr(n) for n in _POST_OPTIONS)
        raise ValueError(
            f"{owner}: unknown option(s) {', '.join(repr(n) for n in unknown)}; the "
            f"post-processing options are {allowed}.{hint}"
        )
    checked: dict[str, Any] = {}
    for bound in ("amin", "amax"):
        if options.get(bound) is not None:
            _check_scalar(owner, bound, options[bound])
            checked[bound] = options[bound]
    if "amin" in checked and "amax" in checked:
        low, high = concrete(checked["amin"]), concrete(checked["amax"])
        if low is not None and high is not None and not low <= high:
            raise ValueError(
                f"{owner}: `amin` must be <= `amax`, got amin={checked['amin']!r} > "
                f"amax={checked['amax']!r}."
            )
    for flag in ("lower_triangle", "upper_triangle", "hollow", "eye"):
        value = options.get(flag, False)
        if not isinstance(value, bool | np.bool_):
            raise ValueError(f"{owner}: `{flag}` must be True or False, got {value!r}.")
        if value:
            checked[flag] = True
    if checked.get("lower_triangle") and checked.get("upper_triangle"):
        raise ValueError(
            f"{owner}: `lower_triangle` and `upper_triangle` are mutually exclusive (together "
            "they would keep only the diagonal: use `eye=True` for that)."
        )
    if checked.get("hollow") and checked.get("eye"):
        raise ValueError(
            f"{owner}: `hollow` (zero diagonal) and `eye` (diagonal only) together give all "
            "zeros; use `constant(0.0)` if that is what you want."
        )
    for name in ("col_mask", "row_mask"):
        mask = _check_mask(owner, name, options.get(name))
        if mask is not None:
            checked[name] = mask
    if options.get("dtype") is not None:
        checked["dtype"] = _check_dtype(owner, options["dtype"])
    return checked  # type: ignore[return-value]


def _check_dtype(owner: str, dtype: Any) -> Any:
    if dtype is None:
        return jnp.dtype(jnp.float32)
    try:
        dtype = jnp.dtype(dtype)
    except TypeError:
        raise ValueError(f"{owner}: `dtype` must be a floating dtype, got {dtype!r}.") from None
    if not jnp.issubdtype(dtype, jnp.floating):
        raise ValueError(f"{owner}: `dtype` must be a floating dtype, got {dtype!r}.")
    return dtype


def _has_random_mask(options: PostProcessing) -> bool:
    return isinstance(options.get("col_mask"), int) or isinstance(options.get("row_mask"), int)


def _check_shape(
    owner: str, shape: Shape, min_ndim: int, ndim: int | None, options: PostProcessing
) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, Sequence | np.ndarray) or isinstance(shape, str):
        raise ValueError(f"{owner}: `shape` must be a tuple of ints, got {shape!r}.")
    dims = tuple(shape)
    if not all(isinstance(d, int | np.integer) and not isinstance(d, bool) for d in dims) or any(
        d < 0 for d in dims
    ):
        raise ValueError(f"{owner}: `shape` must be a tuple of ints >= 0, got {shape!r}.")
    dims = tuple(int(d) for d in dims)
    structural = [
        name
        for name in ("lower_triangle", "upper_triangle", "hollow", "eye", "col_mask", "row_mask")
        if name in options
    ]
    if structural and len(dims) != 2:
        raise ValueError(
            f"{owner}: `{structural[0]}` needs a 2-D (rows, columns) shape, got {dims}."
        )
    if ndim is not None and len(dims) != ndim:
        raise ValueError(f"{owner}: `shape` must have {ndim} dimensions, got {dims}.")
    if len(dims) < min_ndim:
        raise ValueError(f"{owner}: `shape` must have at least {min_ndim} dimensions, got {dims}.")
    for name, axis, lines in (("col_mask", 1, "columns"), ("row_mask", 0, "rows")):
        mask = options.get(name)
        if mask is None:
            continue
        size = dims[axis]
        if isinstance(mask, int) and mask > size:
            raise ValueError(
                f"{owner}: `{name}` keeps {mask} random {lines} but shape {dims} has only "
                f"{size}; use a number in [0, {size}]."
            )
        if isinstance(mask, tuple) and any(i >= size for i in mask):
            raise ValueError(
                f"{owner}: `{name}` indices {list(mask)} must be < {size} (the number of "
                f"{lines} of shape {dims})."
            )
    return dims


def _line_mask(key: PRNGKeyArray | None, mask: Mask, size: int) -> tuple[Array, Any]:
    """A boolean vector of `size` that keeps `mask` lines; returns it and the advanced key."""
    if isinstance(mask, int):
        key, subkey = jax.random.split(key)
        keep = jax.random.choice(subkey, size, shape=(mask,), replace=False)
    else:
        keep = jnp.asarray(mask, dtype=int)
    return jnp.zeros(size, dtype=bool).at[keep].set(True), key


def _post_process(options: PostProcessing, x: Array, key: PRNGKeyArray | None) -> Array:
    if "amin" in options:
        x = jnp.maximum(x, options["amin"])
    if "amax" in options:
        x = jnp.minimum(x, options["amax"])
    if options.get("lower_triangle"):
        x = jnp.tril(x)
    if options.get("upper_triangle"):
        x = jnp.triu(x)
    if options.get("hollow"):
        x = jnp.where(jnp.eye(*x.shape, dtype=bool), jnp.zeros((), x.dtype), x)
    if options.get("eye"):
        x = jnp.where(jnp.eye(*x.shape, dtype=bool), x, jnp.zeros((), x.dtype))
    if "col_mask" in options:
        keep, key = _line_mask(key, options["col_mask"], x.shape[1])
        x = jnp.where(keep[None, :], x, jnp.zeros((), x.dtype))
    if "row_mask" in options:
        keep, key = _line_mask(key, options["row_mask"], x.shape[0])
        x = jnp.where(keep[:, None], x, jnp.zeros((), x.dtype))
    return x


def post_process(
    init: Initializer,
    *,
    amin: float | None = None,
    amax: float | None = None,
    lower_triangle: bool = False,
    upper_triangle: bool = False,
    hollow: bool = False,
    eye: bool = False,
    col_mask: Mask | None = None,
    row_mask: Mask | None = None,
    dtype: Any = None,
) -> Initializer:
    """Wraps any initializer `init(key, shape)` with the reference's post-processing.

    The factories of this module take the same options as keyword arguments; this wrapper is
    for a custom initializer. The steps run in this order (the reference's):

    1. `amin`: `x ← max(x, amin)`; 2. `amax`: `x ← min(x, amax)`;
    3. `lower_triangle` / `upper_triangle`: keep `tril(x)` / `triu(x)` (not both);
    4. `hollow`: zero the diagonal; 5. `eye`: zero everything but the diagonal (not both);
    6. `col_mask`: keep `k` columns chosen uniformly without replacement (an int `k`), or the
       columns whose indices are listed; the others become 0;
    7. `row_mask`: the same for rows.

    Steps 3–7 need a 2-D shape. The wrapped initializer always gets a key (so the result
    needs one): the key is split into `(k_sample, k_post)`, `init` draws with `k_sample` and
    the random masks use `k_post`.

    **Arguments:**

    - `init`: a callable `init(key, shape)` (a `dtype` keyword is passed if it takes one).
    - `amin`, `amax`, `lower_triangle`, `upper_triangle`, `hollow`, `eye`, `col_mask`,
        `row_mask`: as above; the defaults do nothing.
    - `dtype`: the default floating dtype of the result (float32 if not given).
    """
    if not callable(init):
        raise ValueError(f"post_process: `init` must be callable, got {init!r}.")
    options = {
        "amin": amin,
        "amax": amax,
        "lower_triangle": lower_triangle,
        "upper_triangle": upper_triangle,
        "hollow": hollow,
        "eye": eye,
        "col_mask": col_mask,
        "row_mask": row_mask,
        "dtype": dtype,
    }
    try:
        takes_dtype = "dtype" in inspect.signature(init).parameters
    except (TypeError, ValueError):
        takes_dtype = False

    def sample(key, shape, dtype):
        out = init(key, shape, dtype=dtype) if takes_dtype else init(key, shape)
        return jnp.asarray(out)

    name = f"post_process({getattr(init, '__name__', repr(init))})"
    return _Initializer(name, {}, sample, random=True, options=options)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the factories


def constant(value: float, **options: Unpack[PostProcessing]) -> Initializer:
    """Every entry equal to `value` (the key is unused unless a random mask asks for one).

    **Arguments:**

    - `value`: a finite real number.
    - `**options`: post-processing (see `post_process`).
    """
    _check_scalar("constant", "value", value)

    def sample(key, shape, dtype):
        return jnp.full(shape, value, dtype=dtype)

    return _Initializer("constant", {"value": value}, sample, random=False, options=options)


def uniform(low: float = 0.0, high: float = 1.0, **options: Unpack[PostProcessing]) -> Initializer:
    """Independent draws from the uniform distribution `U[low, high)`.

    Mean `(low + high)/2`, standard deviation `(high − low)/√12`.

    **Arguments:**

    - `low`, `high`: finite bounds with `low < high`.
    - `**options`: post-processing (see `post_process`).
    """
    _check_scalar("uniform", "low", low)
    _check_scalar("uniform", "high", high)
    lo, hi = concrete(low), concrete(high)
    if lo is not None and hi is not None and not lo < hi:
        raise ValueError(f"uniform: `low` must be < `high`, got low={low!r}, high={high!r}.")

    def sample(key, shape, dtype):
        return jax.random.uniform(key, shape, dtype=dtype, minval=low, maxval=high)

    return _Initializer("uniform", {"low": low, "high": high}, sample, random=True, options=options)


def gaussian(mean: float = 0.0, std: float = 1.0, **options: Unpack[PostProcessing]) -> Initializer:
    """Independent draws from the normal distribution `N(mean, std²)`: `mean + std·N(0, 1)`.

    **Arguments:**

    - `mean`: a finite real number.
    - `std`: the standard deviation, finite and `>= 0`.
    - `**options`: post-processing (see `post_process`).
    """
    _check_scalar("gaussian", "mean", mean)
    _check_scalar("gaussian", "std", std)
    check_value("gaussian", "std", std, NONNEGATIVE)

    def sample(key, shape, dtype):
        return mean + std * jax.random.normal(key, shape, dtype=dtype)

    return _Initializer(
        "gaussian", {"mean": mean, "std": std}, sample, random=True, options=options
    )


def log_gaussian(
    mean: float = 0.0, sigma: float = 1.0, **options: Unpack[PostProcessing]
) -> Initializer:
    """Independent draws from the log-normal distribution: `exp(mean + sigma·N(0, 1))`, so that
    `log(x) ~ N(mean, sigma²)` and every entry is positive.

    Differences from ngclearn 3.2.3: the reference's JAX path raises `NameError`; its NumPy path
    draws `lognormal(0, sigma)`, which is `mean = 0` here.

    **Arguments:**

    - `mean`: the mean of `log(x)`, finite.
    - `sigma`: the standard deviation of `log(x)`, finite and `>= 0`.
    - `**options`: post-processing (see `post_process`).
    """
    _check_scalar("log_gaussian", "mean", mean)
    _check_scalar("log_gaussian", "sigma", sigma)
    check_value("log_gaussian", "sigma", sigma, NONNEGATIVE)

    def sample(key, shape, dtype):
        return jnp.exp(mean + sigma * jax.random.normal(key, shape, dtype=dtype))

    return _Initializer(
        "log_gaussian", {"mean": mean, "sigma": sigma}, sample, random=True, options=options
    )


def _fan_in(owner: str, shape: tuple[int, ...]) -> int:
    fan_in = shape[0]
    if fan_in < 1:
        raise ValueError(f"{owner}: the fan-in shape[0] must be >= 1, got shape {shape}.")
    return fan_in


def fan_in_uniform(**options: Unpack[PostProcessing]) -> Initializer:
    """`U[−1/√fan_in, 1/√fan_in)` with `fan_in = shape[0]`, the number of inputs of an
    `(n_in, n_out)` weight matrix (LeCun's uniform scaling).

    Differences from ngclearn 3.2.3: the reference uses `shape[1]` (the fan-out).

    **Arguments:**

    - `**options`: post-processing (see `post_process`). The shape needs 2 dimensions or more.
    """

    def sample(key, shape, dtype):
        limit = float(np.sqrt(1.0 / _fan_in("fan_in_uniform", shape)))
        return jax.random.uniform(key, shape, dtype=dtype, minval=-limit, maxval=limit)

    return _Initializer("fan_in_uniform", {}, sample, random=True, min_ndim=2, options=options)


def fan_in_gaussian(**options: Unpack[PostProcessing]) -> Initializer:
    """`N(0, 1/fan_in)`, i.e. `N(0, 1)·√(1/fan_in)`, with `fan_in = shape[0]` (the number of
    inputs of an `(n_in, n_out)` weight matrix).

    **Arguments:**

    - `**options`: post-processing (see `post_process`). The shape needs 2 dimensions or more.
    """

    def sample(key, shape, dtype):
        std = float(np.sqrt(1.0 / _fan_in("fan_in_gaussian", shape)))
        return jax.random.normal(key, shape, dtype=dtype) * std

    return _Initializer("fan_in_gaussian", {}, sample, random=True, min_ndim=2, options=options)


def diag_offdiag(on_diag: float, off_diag: float, **options: Unpack[PostProcessing]) -> Initializer:
    """`on_diag` on the diagonal and `off_diag` everywhere else:
    `on_diag·I + off_diag·(1 − I)` (for a 2-D shape; non-square shapes use `eye(n, m)`).

    **Arguments:**

    - `on_diag`, `off_diag`: finite real numbers.
    - `**options`: post-processing (see `post_process`).
    """
    _check_scalar("diag_offdiag", "on_diag", on_diag)
    _check_scalar("diag_offdiag", "off_diag", off_diag)

    def sample(key, shape, dtype):
        eye = jnp.eye(*shape, dtype=bool)
        return jnp.where(eye, jnp.asarray(on_diag, dtype), jnp.asarray(off_diag, dtype))

    return _Initializer(
        "diag_offdiag",
        {"on_diag": on_diag, "off_diag": off_diag},
        sample,
        random=False,
        ndim=2,
        options=options,
    )


# ----------------------------------------------------------------------------- by name

INITIALIZERS: dict[str, Callable[..., Initializer]] = {
    "constant": constant,
    "uniform": uniform,
    "gaussian": gaussian,
    "log_gaussian": log_gaussian,
    "fan_in_uniform": fan_in_uniform,
    "fan_in_gaussian": fan_in_gaussian,
    "diag_offdiag": diag_offdiag,
}
"""Every factory by name (ngclearn's `DistributionGenerator` names)."""


def get_initializer(name: str, **kwargs: Any) -> Initializer:
    """The initializer `INITIALIZERS[name](**kwargs)`, e.g.
    `get_initializer("uniform", low=0.025, high=0.8)`.

    Raises `ValueError` for an unknown name (listing the known ones), a missing or unknown
    argument, or an argument out of its domain.
    """
    try:
        factory = INITIALIZERS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(n) for n in INITIALIZERS)
        raise ValueError(f"Unknown initializer {name!r}; the known ones are {known}.") from None
    signature = inspect.signature(factory)
    named = [
        p.name for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind is not inspect.Parameter.VAR_KEYWORD
        and p.name not in kwargs
    ]
    if missing:
        raise ValueError(
            f"{name}: missing argument(s) {', '.join(repr(m) for m in missing)} "
            f"(its arguments are {', '.join(named) or 'none'}, plus the post-processing options)."
        )
    unknown = [k for k in kwargs if k not in named and k not in _POST_OPTIONS]
    if unknown:
        raise ValueError(
            f"{name}: unknown argument(s) {', '.join(repr(u) for u in unknown)}; its arguments "
            f"are {', '.join(named) or 'none'}, plus the post-processing options "
            f"{', '.join(_POST_OPTIONS)}."
        )
    return factory(**kwargs)


def as_initializer(spec: Any) -> Initializer:
    """Turns what a constructor accepts as `*_init` into an initializer.

    **Arguments:**

    - `spec`: an initializer (any callable `(key, shape) -> array`, returned unchanged); a name
        (`"fan_in_gaussian"`); or a pair `(name, kwargs)` such as `("uniform", {"low": 0.1,
        "high": 0.5})`, the form the golden files record.
    """
    if isinstance(spec, str):
        return get_initializer(spec)
    if callable(spec):
        return spec
    if (
        isinstance(spec, Sequence)
        and len(spec) == 2
        and isinstance(spec[0], str)
        and isinstance(spec[1], dict)
    ):
        return get_initializer(spec[0], **spec[1])
    raise ValueError(
        "An initializer must be a callable init(key, shape), a name or a (name, kwargs) pair "
        f"such as ('uniform', {{'low': 0.0, 'high': 1.0}}), got {spec!r}."
    )


__all__ = [
    "INITIALIZERS",
    "Initializer",
    "PostProcessing",
    "as_initializer",
    "constant",
    "diag_offdiag",
    "fan_in_gaussian",
    "fan_in_uniform",
    "gaussian",
    "get_initializer",
    "log_gaussian",
    "post_process",
    "uniform",
]
