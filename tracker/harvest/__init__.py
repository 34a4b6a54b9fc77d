"""Harvesters: one module per source, each writing through ``tracker.db``."""
