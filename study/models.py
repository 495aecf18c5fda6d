"""Study data: spaced-review cards and their review log (filled in by the study workstream)."""
