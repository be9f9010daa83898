"""No module of clinicdesk grows past what one person reads in a sitting (issue 12: about 600
lines, 650 at most): a module that does is doing two jobs, and splits by responsibility."""

from __future__ import annotations

from pathlib import Path

import clinicdesk

MAX_LINES = 650


def test_no_module_is_over_650_lines() -> None:
    root = Path(clinicdesk.__file__).parent
    too_long = {
        str(path.relative_to(root)): count
        for path in sorted(root.rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
