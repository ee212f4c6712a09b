"""The one contract every cell, synapse and network of dynax follows.

```python
state = cell.init_state(key=None)                  # the resting state of ONE sample
state = cell.step(state, inputs, key, dt)          # a new state; nothing is mutated
```

The module holds parameters (array leaves: learnable, per-unit where it makes sense) and
structure (static fields); the state pytree holds the dynamics, outputs included
(`state.zF`, `state.s`, ...). A batch is `jax.vmap` over states, inputs and keys with the module
broadcast (`in_axes=None`).
"""

import abc

import equinox as eqx
from jaxtyping import PRNGKeyArray, PyTree

from ._typing import TimeStep


class AbstractCell(eqx.Module):
    """A dynamical unit (or population) advanced by a pure `step`.

    Subclasses define two small pytrees, exposed as the class attributes `State` and `Inputs`,
    and implement `init_state` and `step`. Optional inputs default to `None` ("absent").
    """

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


class AbstractSynapse(AbstractCell):
    """A cell that maps presynaptic activity `(n_in,)` to postsynaptic input `(n_out,)`.

    Its state carries `outputs`; its weights act as `inputs @ W` with `W` of shape
    `(n_in, n_out)` (rows presynaptic, columns postsynaptic), as in ngclearn.
    """

    n_in: eqx.AbstractVar[int]
    n_out: eqx.AbstractVar[int]


def require_key(owner: str, key: PRNGKeyArray | None) -> PRNGKeyArray:
    """Returns `key`, or raises a `ValueError` saying that this cell draws random numbers."""
    if key is None:
        raise ValueError(
            f"{owner}.step draws random numbers and needs a PRNG key, got key=None. "
            "Pass e.g. jax.random.key(0), split once per step."
        )
    return key
