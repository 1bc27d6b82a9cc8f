"""Profiles: per-column counts of datasets, built, merged, checked and stored."""
