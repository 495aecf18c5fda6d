"""CSV exports of analytics reports: the views only wrap them in a download response."""

from __future__ import annotations

from typing import TextIO

from core.csv_cells import csv_safe_writer

from .selectors import CohortReport


def cohort_report_filename(report: CohortReport) -> str:
    return f"cohort-{report.cohort.pk}-{report.blueprint.slug}.csv"


def cohort_report_csv_write(report: CohortReport, out: TextIO) -> None:
    """Write the cohort report as `section,label,value,count` rows to `out`."""
    # Cohort names, blueprint titles and usernames are user input: no formulas in Excel.
    writer = csv_safe_writer(out)
    writer.writerow(["section", "label", "value", "count"])
    writer.writerow(["summary", "cohort", report.cohort.name, ""])
    writer.writerow(["summary", "blueprint", report.blueprint.title, ""])
    writer.writerow(["summary", "from", report.start or "", ""])
    writer.writerow(["summary", "to", report.end or "", ""])
    writer.writerow(["summary", "students", report.students, ""])
    writer.writerow(["summary", "attempts", report.attempts, ""])
    writer.writerow(
        [
            "summary",
            "pass rate %",
            "" if report.pass_rate is None else f"{report.pass_rate:.1f}",
            "",
        ]
    )
    writer.writerow(
        [
            "summary",
            "mean scaled score",
            "" if report.mean_scaled is None else f"{report.mean_scaled:.0f}",
            "",
        ]
    )
    for low, n in report.histogram:
        writer.writerow(["histogram", f"{low}-{low + 49}", n, ""])
    for name, mean, items in report.domain_means:
        writer.writerow(["domain mean %", name, "" if mean is None else f"{mean:.1f}", items])
    for user, values in report.heatmap:
        for domain, value in zip(report.heatmap_domains, values, strict=True):
            writer.writerow(
                [f"student {user.username}", domain, "" if value is None else f"{value:.1f}", ""]
            )
    for user, mean, n in report.at_risk:
        writer.writerow(["at risk", user.username, f"{mean:.0f}", n])
    for week, mean, n in report.trend:
        writer.writerow(["trend (week of)", week.isoformat(), f"{mean:.1f}", n])


def cohort_readiness_filename(cohort, readiness) -> str:
    return f"cohort-{cohort.pk}-readiness-{readiness.guide_code.lower()}.csv"


def cohort_readiness_csv_write(readiness, out: TextIO) -> None:
    """One row per student: chance of passing now (percent), its band and what it rests on."""
    writer = csv_safe_writer(out)
    writer.writerow(
        [
            "username",
            "name",
            "chance of passing %",
            "likely from %",
            "likely to %",
            "scored items",
            "attempts",
            "at risk",
        ]
    )
    at_risk = {u.pk for u, _r in readiness.at_risk}
    for user, r in readiness.rows:
        writer.writerow(
            [
                user.username,
                user.get_full_name(),
                "" if r.percent is None else r.percent,
                "" if r.low_percent is None else r.low_percent,
                "" if r.high_percent is None else r.high_percent,
                r.items,
                r.attempts,
                "yes" if user.pk in at_risk else "",
            ]
        )
