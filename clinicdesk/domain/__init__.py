"""Domain values, validation and derived facts. Standard library only: no Qt, no SQL.

Dataclasses and enums for patients, medical history, classification scales, clinical records,
assessments, photos, consents and roles; parsing and checking of what people type (dates, NHS
numbers, free text); words for counts.

May import: the standard library and ``clinicdesk.errors`` only (import-linter's lowest layer).

Tests: tests/domain/.
"""
