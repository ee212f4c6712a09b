"""The one contract every cell, synapse and network of dynax follows.

```python
state = cell.init_state(key=None)                  # the resting state of ONE sample
state = cell.step(state, inputs, key, dt)          # a new state; nothing is mutated
```

The module holds parameters (array leaves: learnable, per-unit where it makes sense) and
structure (static fields); the state pytree holds the dynamics, outputs included
(`state.zF`, `state.s`, ...). A batch is `jax.vmap` over states, inputs and keys with the module
broadcast (`in_axes=None`).

Fields are declared once (`dynax._fields`); `AbstractCell.__check_init__` validates them all.
The shapes a cell expects of its inputs and state are the jaxtyping annotations of its
`Inputs` and `State` classes (`Float[Array, " n"]`: one value per unit), which `check_step`
enforces at trace time.
"""

import abc
import dataclasses
import typing
from typing import Any, ClassVar, Self

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray, PyTree

from ._fields import validate
from ._typing import TimeStep
from ._validate import check_key, check_stable_step, check_time_step


class CellState(eqx.Module):
    """The base of every cell's state: a pytree of arrays of one sample."""

    def replace(self, **values: Any) -> Self:
        """This state with `values` in place of those fields, each in the dtype that the
        field has now (so a step keeps the state's dtypes)."""
        cast = {
            name: jnp.asarray(value).astype(jnp.result_type(getattr(self, name)))
            for name, value in values.items()
        }
        return dataclasses.replace(self, **cast)


class AbstractCell(eqx.Module):
    """A dynamical unit (or population) advanced by a pure `step`.

    Subclasses define two small pytrees, exposed as the class attributes `State` and `Inputs`,
    declare their fields (`dynax._fields`), and implement `init_state` and `step`. Optional
    inputs default to `None` ("absent").
    """

    State: ClassVar[type]
    Inputs: ClassVar[type]

    def __check_init__(self):
        validate(self)

    @abc.abstractmethod
    def init_state(self, *, key: PRNGKeyArray | None = None) -> PyTree:
        """The resting state of one sample (the reference's state after `reset`).

        **Arguments:**

        - `key`: only needed by cells whose initial state is random.
        """

    @abc.abstractmethod
    def step(self, state: PyTree, inputs: PyTree, key: PRNGKeyArray | None, dt: TimeStep) -> PyTree:
        """Advances `state` by `dt` under `inputs`.

        **Arguments:**

        - `state`: the state at time t (same structure as `init_state()`).
        - `inputs`: this cell's `Inputs` pytree for the interval [t, t + dt).
        - `key`: the randomness of this step; `None` is accepted by cells without noise.
        - `dt`: the step, in the unit of the cell's time constants.

        **Returns:** the state at time t + dt, with the structure, shapes and dtypes of `state`.
        """

    def dimensions(self) -> dict[str, int]:
        """The sizes that the annotations of `State` and `Inputs` name: `n` is the number of
        units (`n_in`, `n_out` for a synapse)."""
        names = {"n": "n_units", "n_units": "n_units", "n_in": "n_in", "n_out": "n_out"}
        return {dim: getattr(self, attr) for dim, attr in names.items() if hasattr(self, attr)}

    def stable_time_step(self) -> tuple[Any, str] | None:
        """`(limit, why)` when this cell's update is stable only for `dt ≤ limit` (an explicit
        update of concrete parameters), else `None`. `check_step` and `simulate` refuse a
        larger `dt` with `why` in the message."""
        return None

    def check_step(self, state: PyTree, inputs: PyTree, dt: TimeStep) -> None:
        """The checks at the start of every `step` (at trace time): `state` is this cell's
        `State` and `inputs` its `Inputs`, every array of the shape its annotation names, and
        `dt` a positive real scalar within `stable_time_step`. Raises `ValueError` naming
        what is wrong."""
        owner = f"{type(self).__name__}.step"
        check_time_step(owner, dt)
        check_stable_time_steps(self, dt)
        dims = self.dimensions()
        for what, value, cls in (("inputs", inputs, self.Inputs), ("state", state, self.State)):
            if not isinstance(value, cls):
                raise ValueError(
                    f"{owner}: `{what}` must be {_expected(self, what, cls)}, got {_kind(value)}."
                )
            for field in dataclasses.fields(cls):
                _check_annotated(owner, what, field, getattr(value, field.name), dims)


def check_stable_time_steps(model: PyTree, dt: TimeStep) -> None:
    """`dt` within the `stable_time_step` of every cell in `model` (nested ones included);
    skipped for a traced `dt`. `simulate` calls it before compiling its loop, where `dt` is
    still a number."""
    for cell in _cells_in(model):
        bound = cell.stable_time_step()
        if bound is not None:
            check_stable_step(f"{type(cell).__name__}.step", dt, *bound)


def _cells_in(model: PyTree) -> list[AbstractCell]:
    """The cells of `model`: itself if it is one, and every cell nested in it."""
    found = [model] if isinstance(model, AbstractCell) else []
    children = jax.tree.leaves(
        model, is_leaf=lambda x: x is not model and isinstance(x, AbstractCell)
    )
    for child in children:
        if isinstance(child, AbstractCell):
            found += _cells_in(child)
    return found


def _expected(cell: AbstractCell, what: str, cls: type) -> str:
    name = type(cell).__name__
    if what == "state":
        return f"a {cls.__name__} (from {name}.init_state() or a previous step)"
    required = [f.name + "=..." for f in dataclasses.fields(cls) if f.default is not None]
    return f"{name}.Inputs({', '.join(required)})"


def _kind(value: Any) -> str:
    if isinstance(value, jax.Array):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _annotated_shapes(annotation: Any, dims: dict[str, int]) -> list[tuple[int, ...]] | None:
    """The shapes a jaxtyping annotation allows (`Float[Array, " n"] | None` → `[(n,)]`), or
    None when it names no array (a nested state, a pytree) or a size `dims` does not know."""
    shapes = []
    for option in _options(annotation):
        if option is type(None):
            continue
        dim_str = getattr(option, "dim_str", None)
        if dim_str is None:
            return None
        shape = []
        for name in dim_str.split():
            if name.isdigit():
                shape.append(int(name))
            elif name in dims:
                shape.append(dims[name])
            else:
                return None
        shapes.append(tuple(shape))
    return shapes


def _options(annotation: Any) -> tuple[Any, ...]:
    return typing.get_args(annotation) if typing.get_origin(annotation) else (annotation,)


def _check_annotated(owner: str, what: str, field: dataclasses.Field, value: Any, dims) -> None:
    if value is None:
        if type(None) in _options(field.type):
            return
        raise ValueError(f"{owner}: {what} `{field.name}` is required, got None.")
    shapes = _annotated_shapes(field.type, dims)
    if shapes is None:
        return
    expected = " or ".join(map(str, shapes))
    if not hasattr(value, "shape") and not isinstance(value, float | int):
        raise ValueError(
            f"{owner}: {what} `{field.name}` must be an array of shape {expected}, "
            f"got {_kind(value)}."
        )
    shape = tuple(jnp.shape(value))
    if shape not in shapes:
        hint = ""
        if what == "inputs" and any(len(shape) == len(s) + 1 and shape[1:] == s for s in shapes):
            hint = " A cell steps one sample: batch it with jax.vmap instead of a leading axis."
        raise ValueError(
            f"{owner}: {what.removesuffix('s')} `{field.name}` must have shape {expected}, "
            f"got shape {shape}.{hint}"
        )


class AbstractSynapse(AbstractCell):
    """A cell that maps presynaptic activity `(n_in,)` to postsynaptic input `(n_out,)`.

    Its state carries `outputs`; its weights act as `inputs @ W` with `W` of shape
    `(n_in, n_out)` (rows presynaptic, columns postsynaptic), as in ngclearn. Every synapse's
    forward pass is `transmit(state, inputs, key, dt, *, matvec=jnp.matmul)`, and `step` is
    `transmit` with the plain product; `matvec(a, W)` computes `a @ W` (a model-parallel
    network passes `dynax.parallel.gather_matvec(mesh)`).
    """

    n_in: eqx.AbstractVar[int]
    n_out: eqx.AbstractVar[int]

    @abc.abstractmethod
    def transmit(
        self,
        state: PyTree,
        inputs: PyTree,
        key: PRNGKeyArray | None,
        dt: TimeStep,
        *,
        matvec: typing.Callable[[Array, Array], Array] = jnp.matmul,
    ) -> PyTree:
        """One step of the synapse, with the matrix–vector product `matvec(a, W) = a @ W`."""

    def step(self, state: PyTree, inputs: PyTree, key: PRNGKeyArray | None, dt: TimeStep) -> PyTree:
        """One step of the synapse: `transmit` with the plain matrix product."""
        return self.transmit(state, inputs, key, dt)


def require_key(owner: str, key: PRNGKeyArray | None) -> PRNGKeyArray:
    """Returns `key`, or raises a `ValueError` saying that this cell draws random numbers (or
    that `key` is not a PRNG key)."""
    if key is None:
        raise ValueError(
            f"{owner}.step draws random numbers and needs a PRNG key, got key=None. "
            "Pass e.g. jax.random.key(0), split once per step."
        )
    check_key(f"{owner}.step", "key", key)
    return key
