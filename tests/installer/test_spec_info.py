"""What the frozen build keeps and leaves out (installer/spec_info.py), checked for every
platform from Linux: the lists name each platform's plugins and paths match with either
separator, so the spec has no Linux-only assumption."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))

import spec_info  # noqa: E402


@pytest.mark.parametrize(
    ("dest", "platform", "kept"),
    [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "linux", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "linux", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", "linux", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", "linux", False),
        ("PySide6\\plugins\\platforms\\qwindows.dll", "win32", True),
        ("PySide6\\plugins\\platforms\\qoffscreen.dll", "win32", True),
        ("PySide6\\plugins\\platforms\\qminimal.dll", "win32", False),
        ("PySide6/Qt/plugins/platforms/libqcocoa.dylib", "darwin", True),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "darwin", False),
        ("PySide6/Qt/translations/qtbase_de.qm", "linux", False),
        ("PySide6\\translations\\qtbase_fr.qm", "win32", False),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", "linux", True),
        ("PySide6\\plugins\\imageformats\\qjpeg.dll", "win32", True),
        ("PySide6/Qt/plugins/printsupport/libcupsprintersupport.so", "linux", True),
        (
            "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
            "linux",
            True,
        ),
        ("PySide6/Qt/plugins/multimedia/libffmpegmediaplugin.so", "linux", False),
        ("PySide6\\plugins\\qmltooling\\qmldbg_debugger.dll", "win32", False),
        ("PySide6/Qt/lib/libQt6WebEngineCore.so.6", "linux", False),
        ("PySide6\\Qt6Quick.dll", "win32", False),
        ("PySide6/Qt/lib/libQt6Pdf.so.6", "linux", True),
        ("PySide6\\Qt6Charts.dll", "win32", True),
        ("PySide6\\Qt6PrintSupport.dll", "win32", True),
        ("sqlcipher3/_sqlite3.cpython-311-x86_64-linux-gnu.so", "linux", True),
        ("resources/templates/manifest.json", "linux", True),
    ],
)
def test_what_the_build_keeps(dest: str, platform: str, kept: bool) -> None:
    assert spec_info.keep(dest, platform) is kept


def test_every_platform_has_its_own_window_plugin_and_offscreen() -> None:
    assert set(spec_info.PLATFORM_PLUGINS) == {"linux", "win32", "darwin"}
    for plugins in spec_info.PLATFORM_PLUGINS.values():
        assert "offscreen" in plugins and len(plugins) == 2


def test_the_spec_leaves_platform_names_to_spec_info() -> None:
    """The spec itself names no platform's files: no plugin names, library suffixes or paths
    with a separator written into strings (they would be right on one system only)."""
    source = (ROOT / "build_installer.spec").read_text(encoding="utf-8")
    strings = [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    for text in strings:
        if text.startswith(("build_installer.spec:", "  - ")) or " " in text:
            continue  # messages
        for needle in ("xcb", "cocoa", "qwindows", ".so", ".dll", ".dylib", "/", "\\"):
            assert needle not in text, f"{text!r} in build_installer.spec is platform-specific"


def test_name_and_version_come_from_the_package() -> None:
    from clinicdesk import APP_NAME, __version__

    assert (APP_NAME, __version__) == (spec_info.APP_NAME, spec_info.VERSION)


def test_filtered_reports_what_it_left_out() -> None:
    toc = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/libqxcb.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", "/x/libqeglfs.so", "BINARY"),
    ]
    kept, dropped = spec_info.filtered(toc, "linux")
    assert [entry[0] for entry in kept] == [toc[0][0]]
    assert dropped == [toc[1][0]]


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6\\plugins\\platforminputcontexts\\qtvirtualkeyboardplugin.dll",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "PySide6/Qt/lib/libQt6VirtualKeyboard.so.6",
    ],
)
def test_plugins_that_would_bring_unused_libraries_are_left_out(dest: str) -> None:
    assert not spec_info.keep(dest, "linux")


def test_the_build_machines_gtk_is_left_out_but_not_glib() -> None:
    assert not spec_info.keep("libgtk-3.so.0", "linux")
    assert not spec_info.keep("libcairo.so.2", "linux")
    assert spec_info.keep("libglib-2.0.so.0", "linux")  # Qt itself needs GLib


SMOKE_TEST_MODULES = """
import json, sys
from clinicdesk.app import main
code = main(["--smoke-test"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_the_program_never_imports_what_the_build_leaves_out() -> None:
    """The smoke test (a clinic made, a patient, photos, both documents, every record tab, the
    checks) imports none of the modules the build leaves out: the frozen program would fail
    where it did."""
    done = subprocess.run(
        [sys.executable, "-c", SMOKE_TEST_MODULES],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        cwd=ROOT,
        timeout=180,
    )
    told = json.loads(done.stdout.strip().splitlines()[-1])
    assert told["code"] == 0, done.stderr
    excluded = tuple(spec_info.EXCLUDED_MODULES)
    imported = [
        name
        for name in told["modules"]
        if name in excluded or name.startswith(tuple(f"{module}." for module in excluded))
    ]
    assert imported == []
