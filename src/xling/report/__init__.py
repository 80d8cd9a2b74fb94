"""Reports of a run: report.md and the self-contained report.html."""
