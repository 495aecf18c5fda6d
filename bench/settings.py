"""config.settings.prod for the benchmark: identical except where static files are collected.

Production serves the hashed files of `collectstatic` (whitenoise's manifest storage), so no
page renders without them. The benchmark collects them into its own output folder instead of
the shared var/staticfiles, with bench.staticstorage (which skips the vendored files' missing
source maps, see there). Everything that matters for speed (DEBUG off, the password hasher,
middleware, secure cookies, CONN_MAX_AGE, the Redis cache and broker) is production's.
"""

from pathlib import Path

from config.settings.prod import *  # noqa: F403
from config.settings.prod import STORAGES, env

STATIC_ROOT = Path(env("BENCH_STATIC_ROOT"))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "bench.staticstorage.BenchStaticFilesStorage"},
}
