"""The mathematics: histograms, smoothing, measures, binning, significance (numpy only, no I/O)."""
