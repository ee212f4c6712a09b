"""The jaxtyping aliases used across dynax, in one place.

A cell describes one sample: `"n"` is its number of units. Batching is `jax.vmap`, so no
alias here carries a batch axis.
"""

from typing import TypeAlias

from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, PyTree, Scalar

Units: TypeAlias = Float[Array, " n"]
"""One value per unit of a cell."""

Param: TypeAlias = Float[Array, ""] | Float[Array, " n"]
"""A parameter that is either shared by all units (a scalar) or set per unit."""

OutParam: TypeAlias = Float[Array, ""] | Float[Array, " n_out"]
"""A synapse's parameter shared by all postsynaptic units (a scalar) or set per unit."""

ParamLike: TypeAlias = float | Float[ArrayLike, ""] | Float[ArrayLike, " n"]
"""What a constructor accepts for a `Param`: a Python float or anything `jnp.asarray` takes."""

Weights: TypeAlias = Float[Array, "n_in n_out"]
"""A synaptic matrix, acting as `inputs @ W` (rows are presynaptic, columns postsynaptic)."""

TimeStep: TypeAlias = float | Float[ArrayLike, ""]
"""The integration step `dt`, in the time unit of the cell's time constants."""

Key: TypeAlias = PRNGKeyArray
"""A JAX PRNG key."""

__all__ = [
    "Array",
    "ArrayLike",
    "Key",
    "OutParam",
    "Param",
    "ParamLike",
    "PyTree",
    "Scalar",
    "TimeStep",
    "Units",
    "Weights",
]
