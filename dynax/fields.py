"""Declared fields: how a cell states its parameters, once, for `AbstractCell` to convert and
validate (the base every dynax cell is built on; `docs/writing-a-cell.md`).

```python
class Leaky(dynax.AbstractCell):
    n_units: int = size()
    tau: Param = parameter(10.0, POSITIVE)            # scalar or one value per unit
    integration_type: AbstractStepper = stepper("exponential_euler")
```
"""

from ._fields import choice, number, parameter, size, switch
from ._typing import Param
from ._validate import FINITE, NONNEGATIVE, POSITIVE, PROBABILITY, Interval, at_least
from .integrate import AbstractStepper, stepper
from .surrogate import AbstractSurrogate, spike_surrogate

__all__ = [
    "FINITE",
    "NONNEGATIVE",
    "POSITIVE",
    "PROBABILITY",
    "AbstractStepper",
    "AbstractSurrogate",
    "Interval",
    "Param",
    "at_least",
    "choice",
    "number",
    "parameter",
    "size",
    "spike_surrogate",
    "stepper",
    "switch",
]
