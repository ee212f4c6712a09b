"""Graded (rate) neurons and the error cells of predictive coding."""

from .bernoulli_error_cell import BernoulliErrorCell
from .gaussian_error_cell import GaussianErrorCell
from .laplacian_error_cell import LaplacianErrorCell
from .leaky_noise_cell import LeakyNoiseCell
from .rate_cell import RateCell
from .reward_error_cell import RewardErrorCell

__all__ = [
    "BernoulliErrorCell",
    "GaussianErrorCell",
    "LaplacianErrorCell",
    "LeakyNoiseCell",
    "RateCell",
    "RewardErrorCell",
]
