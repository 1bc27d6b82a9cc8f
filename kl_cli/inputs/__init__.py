"""Sources into histograms, samples and dataset chunks: formats, streams, the cell rule."""
