"""Spike traces."""

from .var_trace import VarTrace

__all__ = ["VarTrace"]
