"""Input encoders: turn values into spikes."""

from .bernoulli_cell import BernoulliCell
from .latency_cell import LatencyCell
from .poisson_cell import PoissonCell

__all__ = ["BernoulliCell", "LatencyCell", "PoissonCell"]
