"""Which presynaptic units reach which postsynaptic ones: dense, sparse (CSR) or procedural
(regenerated from a seed), with integer delays, delivered event by event.

```python
conn = dynax.connectivity.fixed_in_degree(key, n_in=3200, n_out=4000, k=64, weights=0.6)
drive = conn.propagate(spikes)                       # = spikes @ conn.to_dense(), event-driven
```
"""

from ._base import GROWTH, MIN_EVENTS, AbstractConnectivity
from .builders import fixed_in_degree, fixed_out_degree, fixed_probability, from_connections
from .dense import DenseConnectivity
from .procedural import ProceduralConnectivity
from .sparse import SparseConnectivity

__all__ = [
    "GROWTH",
    "MIN_EVENTS",
    "AbstractConnectivity",
    "DenseConnectivity",
    "ProceduralConnectivity",
    "SparseConnectivity",
    "fixed_in_degree",
    "fixed_out_degree",
    "fixed_probability",
    "from_connections",
]
