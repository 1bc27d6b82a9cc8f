"""Renderers: the only code that formats results for output, one module per command."""
