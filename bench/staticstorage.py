"""Production's static storage, minus rewriting source-map comments (for the benchmark only).

The vendored Chart.js and Bootstrap files end with `sourceMappingURL=...map` comments, but the
.map files are not vendored, so `collectstatic` with whitenoise's manifest storage fails
("MissingFileError: ... chart.umd.js.map"). The benchmark leaves those comments alone; every
other file is hashed, compressed and served exactly as in production.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    kept = []
    for extension, rules in patterns:
        rules = tuple(
            r for r in rules if "sourceMappingURL" not in (r if isinstance(r, str) else r[0])
        )
        if rules:
            kept.append((extension, rules))
    return tuple(kept)


class BenchStaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
