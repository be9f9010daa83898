"""Clinic > Outcomes: the outcomes audit screen (``screen``), its chart and its exports."""
