"""The ``geopera-nb`` command (sandbox, demo, lab, frames, export).

It never shadows the official ``geopera`` command from ``geopera-cli``.
"""
