"""Shared test settings: Hypothesis runs the same examples on every CI run.

On CI (the environment sets ``CI``) examples are derandomised, so a run that
passed passes again, and a slow shared machine does not fail a health check.
Locally, examples stay random to keep finding new cases.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
if os.environ.get("CI"):
    settings.load_profile("ci")
