"""Before ``make run`` starts a real window: tell the user the one command that installs the
system libraries Qt's xcb platform needs, instead of Qt's own abort message."""

from __future__ import annotations

import ctypes.util
import os
import sys

XCB_LIBRARIES = ("xcb-cursor", "xcb-icccm", "xcb-keysyms")
INSTALL_LINE = "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"


def missing_libraries() -> list[str]:
    if not sys.platform.startswith("linux"):
        return []
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "wayland", "minimal")):
        return []
    return [name for name in XCB_LIBRARIES if ctypes.util.find_library(name) is None]


def main() -> int:
    missing = missing_libraries()
    if missing:
        print(
            "ClinicDesk needs system libraries for its window that are not installed "
            f"({', '.join('lib' + m for m in missing)}). Install them with:\n  {INSTALL_LINE}",
            file=sys.stderr,
        )
        return 1
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        print(
            "No screen found (DISPLAY is not set). Run ClinicDesk from a desktop session, "
            "or set QT_QPA_PLATFORM=offscreen to try it without one.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
