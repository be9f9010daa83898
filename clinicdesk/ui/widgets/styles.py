"""The style sheet snippets every form shares: a message in red, a field outlined in red, a
read-only field greyed flat. A module of their own (no widgets) so that the sign-in dialog, the
program's first screen, can use them without the form helpers in ``fields``."""

from __future__ import annotations

ERROR_STYLE = "color: #b00020;"
INVALID_STYLE = "border: 1px solid #b00020;"
READ_ONLY_STYLE = "background: #f0f2f5; color: #243b53; border: 1px solid #d9e2ec;"
