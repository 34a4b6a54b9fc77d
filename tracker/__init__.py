"""tracker: week-by-week activity of the open Jupyter ecosystem in SQLite."""

__version__ = "0.1.0"
