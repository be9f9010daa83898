"""Build the frozen ClinicDesk (``make installer``): PyInstaller on ``build_installer.spec``,
then report the folder's size and, on Linux, pack a per-user ``.tar.gz`` (the folder, a
``.desktop`` file, the icon and ``install.sh``, which needs no root).

    python installer/build.py [--dist DIR] [--work DIR]

Prints the folder's size, its largest parts, what the spec left out, and the archive's size.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))

from spec_info import APP_NAME, VERSION, folder_size, largest  # noqa: E402

DESKTOP = """[Desktop Entry]
Type=Application
Name={name}
GenericName=Clinic records
Comment=Records, photos, consent and reports for a hair-loss clinic
Exec={exec_path}
Icon=clinicdesk
Terminal=false
Categories=Office;MedicalSoftware;
StartupWMClass=clinicdesk
"""

INSTALL_SH = """#!/bin/sh
# Install ClinicDesk for this user only (no root needed):
#   the program in ~/.local/share/clinicdesk-app, a menu entry and its icon.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
target="$data/clinicdesk-app"
rm -rf "$target.new"
mkdir -p "$target.new"
cp -R "$here/ClinicDesk/." "$target.new/"
rm -rf "$target"
mv "$target.new" "$target"
mkdir -p "$data/applications" "$data/icons/hicolor/256x256/apps"
cp "$here/clinicdesk.png" "$data/icons/hicolor/256x256/apps/clinicdesk.png"
sed "s|@EXEC@|$target/ClinicDesk|" "$here/clinicdesk.desktop" \
    > "$data/applications/clinicdesk.desktop"
echo "ClinicDesk installed in $target; it is in your applications menu."
echo "The clinic's data is kept apart from the program, in $data/ClinicDesk."
"""


def build(dist: Path, work: Path) -> Path:
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "build_installer.spec"),
        ],
        check=True,
        cwd=ROOT,
    )
    folder = dist / APP_NAME
    print(f"built {folder} in {time.monotonic() - started:.0f} s")
    return folder


def report(folder: Path) -> None:
    size = folder_size(folder)
    print(f"frozen folder: {size / 1e6:.1f} MB ({sum(1 for _ in folder.rglob('*'))} files)")
    for path, bytes_ in largest(folder, 8):
        print(f"  {bytes_ / 1e6:6.1f} MB  {path}")


def linux_archive(folder: Path, dist: Path) -> Path:
    machine = platform.machine() or "unknown"
    archive = dist / f"{APP_NAME}-{VERSION}-linux-{machine}.tar.gz"
    stage = dist / "archive-files"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    (stage / "clinicdesk.desktop").write_text(
        DESKTOP.format(name=APP_NAME, exec_path="@EXEC@"), encoding="utf-8"
    )
    (stage / "install.sh").write_text(INSTALL_SH, encoding="utf-8")
    os.chmod(stage / "install.sh", 0o755)
    shutil.copy(ROOT / "resources" / "icons" / "clinicdesk-256.png", stage / "clinicdesk.png")
    top = f"{APP_NAME}-{VERSION}"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=f"{top}/{APP_NAME}")
        for item in sorted(stage.iterdir()):
            tar.add(item, arcname=f"{top}/{item.name}")
    shutil.rmtree(stage)
    print(f"archive: {archive} {archive.stat().st_size / 1e6:.1f} MB")
    return archive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", default=str(ROOT / "dist"))
    parser.add_argument("--work", default=str(ROOT / "build" / "pyinstaller"))
    args = parser.parse_args()
    dist = Path(args.dist).resolve()
    folder = build(dist, Path(args.work).resolve())
    report(folder)
    if sys.platform.startswith("linux"):
        linux_archive(folder, dist)
    return 0


if __name__ == "__main__":
    sys.exit(main())
