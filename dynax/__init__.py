"""dynax: a pure-functional kernel for neural dynamics in JAX.

Every cell is an immutable `equinox.Module` with `init_state(*, key=None)` and
`step(state, inputs, key, dt) -> state`; networks are nested modules; `simulate` runs any of
them over time with one `jax.lax.scan`.
"""

from . import (
    activations,
    connectivity,
    fields,
    initializers,
    integrate,
    parallel,
    spike_statistics,
    surrogate,
)
from ._core import AbstractCell, AbstractSynapse, CellState
from .checkpoint import CheckpointError, load, save
from .encoders import BernoulliCell, LatencyCell, PoissonCell
from .models import EINetwork, PredictiveCodingNetwork, RecurrentSpikingNetwork
from .neurons.graded import (
    BernoulliErrorCell,
    GaussianErrorCell,
    LaplacianErrorCell,
    LeakyNoiseCell,
    RateCell,
    RewardErrorCell,
)
from .neurons.spiking import (
    LIFSRM,
    AdExCell,
    FitzhughNagumoCell,
    HodgkinHuxleyCell,
    IFCell,
    IzhikevichCell,
    LIFCell,
    QuadLIFCell,
    RAFCell,
    SLIFCell,
    WTASCell,
)
from .simulate import simulate
from .synapses import (
    AlphaSynapse,
    DenseSynapse,
    DoubleExpSynapse,
    ExponentialSynapse,
    HebbianSynapse,
    OnlineTraceSTDPSynapse,
    SparseTensorSynapse,
    StaticSparseTensorSynapse,
    StaticSynapse,
    STPDenseSynapse,
    TraceSTDPSynapse,
)
from .traces import VarTrace

__version__ = "0.1.0"

__all__ = [
    "LIFSRM",
    "AbstractCell",
    "AbstractSynapse",
    "AdExCell",
    "AlphaSynapse",
    "BernoulliCell",
    "BernoulliErrorCell",
    "CellState",
    "CheckpointError",
    "DenseSynapse",
    "DoubleExpSynapse",
    "EINetwork",
    "ExponentialSynapse",
    "FitzhughNagumoCell",
    "GaussianErrorCell",
    "HebbianSynapse",
    "HodgkinHuxleyCell",
    "IFCell",
    "IzhikevichCell",
    "LIFCell",
    "LaplacianErrorCell",
    "LatencyCell",
    "LeakyNoiseCell",
    "OnlineTraceSTDPSynapse",
    "PoissonCell",
    "PredictiveCodingNetwork",
    "QuadLIFCell",
    "RAFCell",
    "RateCell",
    "RecurrentSpikingNetwork",
    "RewardErrorCell",
    "SLIFCell",
    "STPDenseSynapse",
    "SparseTensorSynapse",
    "StaticSparseTensorSynapse",
    "StaticSynapse",
    "TraceSTDPSynapse",
    "VarTrace",
    "WTASCell",
    "activations",
    "connectivity",
    "fields",
    "initializers",
    "integrate",
    "load",
    "parallel",
    "save",
    "simulate",
    "spike_statistics",
    "surrogate",
]
