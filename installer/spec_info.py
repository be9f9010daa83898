"""What the frozen build holds and leaves out, in one place: read by ``build_installer.spec``
(PyInstaller runs it as Python), by ``installer/build.py`` and by the tests.

Nothing here depends on the platform it runs on: the lists name every platform's files, and
paths are matched by their parts (``/`` or ``\\``), so a test on Linux checks the Windows and
macOS choices too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path, PurePath

ROOT = Path(__file__).resolve().parent.parent


def package_constants(path: Path, names: tuple[str, ...]) -> dict[str, str]:
    """The string constants ``names`` assigned at the top level of ``path`` (parsed, not
    imported: reading them never imports PySide6 or the app)."""
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in names:
                    found[target.id] = ast.literal_eval(node.value)
    missing = [name for name in names if name not in found]
    if missing:
        raise SystemExit(f"{path} does not define {', '.join(missing)}")
    return found


_constants = package_constants(ROOT / "clinicdesk" / "__init__.py", ("__version__", "APP_NAME"))
VERSION = _constants["__version__"]
APP_NAME = _constants["APP_NAME"]  # "ClinicDesk"

# Python packages that are installed beside the app (development tools, optional back-ends
# of libraries) but never imported by it, and Qt modules it does not use.
EXCLUDED_MODULES = [
    "tkinter",
    "tests",
    "pytest",
    "_pytest",
    "pytestqt",
    "hypothesis",
    "mypy",
    "importlinter",
    "grimp",
    "ruff",
    "pypdf",
    "PyInstaller",
    "setuptools",
    "pip",
    "IPython",
    "numpy",
    # In the program's import graph, but never run: concurrent.futures' process pool (the app
    # uses threads and, for sync, a child process of its own), and the debugger and doc tools
    # that reportlab's self-tests (under ``if __name__ == "__main__"``) would bring. While they
    # are in the build, PyInstaller imports multiprocessing and pkgutil at every start (its
    # runtime hooks for them): some 25 ms of the frozen program's start-up.
    # (``tests/installer/test_spec_info.py`` checks that the program never imports them.)
    "multiprocessing",
    "doctest",
    "pdb",
    "pydoc",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel",
    "PySide6.QtWebSockets",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuick3D",
    "PySide6.Qt3DCore",
    "PySide6.Qt3DRender",
    "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets",
    "PySide6.QtDesigner",
    "PySide6.QtUiTools",
    "PySide6.QtHelp",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtBluetooth",
    "PySide6.QtPositioning",
    "PySide6.QtLocation",
    "PySide6.QtSerialPort",
    "PySide6.QtSensors",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    "PySide6.QtTextToSpeech",
    "PySide6.QtSpatialAudio",
    "PySide6.QtRemoteObjects",
    "PySide6.QtScxml",
    "PySide6.QtStateMachine",
    "PySide6.QtNfc",
    "PySide6.QtHttpServer",
]

# The Qt platform plugins kept, by platform: the system's own, and "offscreen" for
# ``--smoke-test`` on a machine without a screen.
PLATFORM_PLUGINS = {
    "linux": ["xcb", "offscreen"],
    "win32": ["windows", "offscreen"],
    "darwin": ["cocoa", "offscreen"],
}

# Qt plugin folders the app never loads (it reads images with Pillow, prints through Qt's own
# print support, shows no multimedia, no QML, no 3D, no web, no text-to-speech). Kept: image
# formats, print support, platform themes (the system's file dialogs), input contexts (typing
# accented names through IBus or a compose key) and the xcb GL integrations.
UNUSED_PLUGIN_FOLDERS = {
    "qmltooling",
    "multimedia",
    "sceneparsers",
    "renderers",
    "renderplugins",
    "geometryloaders",
    "assetimporters",
    "texttospeech",
    "position",
    "sensors",
    "sqldrivers",
    "designer",
    "webview",
    "canbus",
    "networkinformation",
    "tls",
    "qmllint",
    "wayland-decoration-client",
    "wayland-graphics-integration-client",
    "wayland-graphics-integration-server",
    "wayland-shell-integration",
    "egldeviceintegrations",
    "generic",
}

_QT_LIBRARY_NAME = re.compile(r"^(lib)?Qt6?(?P<module>[A-Za-z0-9]+?)(\.so.*|\.dll|\.dylib|)$")

# Qt libraries that the PySide6 hooks may pull in through other modules' dependencies but the
# app never needs (checked by the smoke test, which opens every record tab).
UNUSED_QT_LIBRARIES = {
    "WebEngineCore",
    "WebEngineWidgets",
    "Quick",
    "Qml",
    "QmlModels",
    "QmlMeta",
    "QmlWorkerScript",
    "Quick3D",
    "Multimedia",
    "Designer",
    "VirtualKeyboard",
    "Pdfquick",
    "QuickWidgets",
    "ChartsQml",
    "VirtualKeyboardQml",
    "WaylandClient",
    "WlShellIntegration",
    "EglFSDeviceIntegration",
    "EglFsKmsSupport",
}

# Single plugins left out of folders otherwise kept: the on-screen keyboard (it needs QML and
# Quick) and the GTK 3 theme (it would bring the build machine's GTK, cairo and GLib, which
# must come from the user's own system).
UNUSED_PLUGIN_FILES = ("virtualkeyboard", "qgtk3")

# The build machine's GTK stack, which only the GTK 3 theme plugin needs (left out above).
GTK_LIBRARIES = (
    "libgtk-3",
    "libgdk-3",
    "libgdk_pixbuf",
    "libatk",
    "libpango",
    "libcairo",
    "libepoxy",
)


def _parts(dest: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\\/]+", dest) if part)


def keep(dest: str, platform: str) -> bool:
    """Whether the file PyInstaller would put at ``dest`` (relative to the frozen folder, with
    either separator) belongs in the build for ``platform`` (``sys.platform``)."""
    parts = _parts(dest)
    lowered = [p.lower() for p in parts]
    if "translations" in lowered and any(p.startswith("pyside6") for p in lowered):
        return False  # the app's text is English only: Qt's translations are not shipped
    if "plugins" in lowered:
        folder = lowered[lowered.index("plugins") + 1] if lowered[-1] != "plugins" else ""
        if folder in UNUSED_PLUGIN_FOLDERS:
            return False
        if any(name in parts[-1].lower() for name in UNUSED_PLUGIN_FILES):
            return False
        if folder == "platforms":
            wanted = PLATFORM_PLUGINS.get(platform, [])
            stem = PurePath(parts[-1]).name.lower()
            return any(f"q{name}" in stem for name in wanted)
    if len(parts) == 1 and parts[0].startswith(GTK_LIBRARIES):
        return False
    match = _QT_LIBRARY_NAME.match(parts[-1]) if parts else None
    return not (match and match.group("module") in UNUSED_QT_LIBRARIES)


def filtered(toc: Iterable[tuple[str, str, str]], platform: str) -> tuple[list, list[str]]:
    """``toc`` without what ``keep`` refuses, and the names left out (for the build report)."""
    kept, dropped = [], []
    for entry in toc:
        (kept if keep(entry[0], platform) else dropped).append(entry)
    return kept, sorted(entry[0] for entry in dropped)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def largest(folder: Path, count: int) -> list[tuple[str, int]]:
    """The ``count`` largest top-level parts of ``folder`` (files, or folders summed)."""
    sizes: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(folder).parts
            key = "/".join(rel[:3]) if len(rel) > 3 else "/".join(rel)
            sizes[key] = sizes.get(key, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda kv: -kv[1])[:count]
