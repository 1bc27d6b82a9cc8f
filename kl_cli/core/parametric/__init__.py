"""Parametric distributions: the families, their closed forms, and the
integrals, sums and Monte-Carlo averages that measure a pair of them.

numpy and scipy.special (and scipy.integrate for quadrature) only, imported
on the paths that need them; never scipy.stats (its import alone costs more
than the whole comparison).
"""
