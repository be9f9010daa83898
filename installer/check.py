"""``make installer-test``: prove the frozen build works on its own, away from the checkout.

    python installer/check.py [--dist DIR]

1. Installs the Linux archive per-user into a new temporary home (its ``install.sh``; on
   other systems the folder is copied), so nothing is found in the source tree by accident:
   the programs run with a bare environment (no PYTHONPATH, no virtualenv, PATH=/usr/bin:/bin)
   from a folder outside the checkout.
2. Runs ``clinicdesk-cli --version``, ``clinicdesk-cli --smoke-test`` and the windowed
   program's smoke test, then one command (``demo``, then ``patients search --json``) and
   checks the data and the log went to the platform's data folder, never into the install
   folder.
3. Takes a needed native library (SQLCipher) and the Qt platform plugin out of a copy of the
   build and checks that the smoke test then fails, naming what is missing.

Prints each check with its time; exits 1 at the first failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))

from spec_info import APP_NAME, PLATFORM_PLUGINS, VERSION  # noqa: E402

CLI = "clinicdesk-cli.exe" if sys.platform == "win32" else "clinicdesk-cli"
GUI = f"{APP_NAME}.exe" if sys.platform == "win32" else APP_NAME


class CheckFailed(Exception):
    pass


def bare_env(home: Path) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin" if os.name != "nt" else os.environ.get("SYSTEMROOT", ""),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_RUNTIME_DIR": str(home / "runtime"),
    }
    (home / "runtime").mkdir(mode=0o700, exist_ok=True)
    if os.name == "nt":
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
    return env


def run(
    label: str, argv: list[str], env: dict[str, str], cwd: Path, *, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    if done.returncode != expect:
        raise CheckFailed(
            f"{label}: exit {done.returncode} (expected {expect})\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    print(f"ok  {label} ({took:.1f} s)", flush=True)
    return done


def install(dist: Path, home: Path) -> Path:
    """The installed folder holding the programs."""
    archives = sorted(dist.glob(f"{APP_NAME}-{VERSION}-linux-*.tar.gz"))
    if sys.platform.startswith("linux"):
        if not archives:
            raise CheckFailed(f"no Linux archive in {dist}: run `make installer` first")
        unpacked = home / "download"
        with tarfile.open(archives[-1]) as tar:
            tar.extractall(unpacked, filter="tar")
        (top,) = unpacked.iterdir()
        env = bare_env(home)
        run("install.sh (per user, no root)", ["/bin/sh", str(top / "install.sh")], env, home)
        installed = home / ".local" / "share" / "clinicdesk-app"
        desktop = home / ".local" / "share" / "applications" / "clinicdesk.desktop"
        icon = home / ".local/share/icons/hicolor/256x256/apps/clinicdesk.png"
        if f"Exec={installed / APP_NAME}" not in desktop.read_text(encoding="utf-8"):
            raise CheckFailed(f"{desktop} does not start {installed / APP_NAME}")
        if not icon.is_file():
            raise CheckFailed(f"the icon was not installed at {icon}")
        print(f"ok  menu entry {desktop.name} and icon installed", flush=True)
        return installed
    target = home / "programs" / APP_NAME
    shutil.copytree(dist / APP_NAME, target, symlinks=True)
    return target


def check_installed(folder: Path, home: Path) -> None:
    env = bare_env(home)
    before = {p.relative_to(folder) for p in folder.rglob("*")}
    version = run("clinicdesk-cli --version", [str(folder / CLI), "--version"], env, home)
    if version.stdout.strip() != f"{APP_NAME} {VERSION}":
        raise CheckFailed(f"--version printed {version.stdout.strip()!r}")
    smoke = run("clinicdesk-cli --smoke-test", [str(folder / CLI), "--smoke-test"], env, home)
    if "(frozen)" not in smoke.stdout or str(folder) not in smoke.stdout:
        raise CheckFailed(f"the smoke test did not run frozen from {folder}:\n{smoke.stdout}")
    if sys.platform != "win32":  # a windowed Windows program prints nothing: its exit code only
        run(
            f"{GUI} --smoke-test (the windowed program)",
            [str(folder / GUI), "--smoke-test"],
            env,
            home,
        )
    env_demo = dict(env, CLINICDESK_PASSWORD="demo")
    run(
        "clinicdesk-cli demo --patients 5",
        [str(folder / CLI), "demo", "--patients", "5"],
        env,
        home,
    )
    found = run(
        "clinicdesk-cli patients search --json",
        [str(folder / CLI), "--user", "reception", "patients", "search", "a", "--json"],
        env_demo,
        home,
    )
    if not json.loads(found.stdout):
        raise CheckFailed("patients search --json found nobody in the demo clinic")
    data = Path(env["XDG_DATA_HOME"]) / APP_NAME
    for needed in (data / "clinicdesk.db", data / "logs" / "clinicdesk.log"):
        if not needed.is_file():
            raise CheckFailed(f"expected {needed} (the platform's data folder)")
    after = {p.relative_to(folder) for p in folder.rglob("*")}
    if after != before:
        raise CheckFailed(
            f"the program wrote into its install folder: {sorted(after - before)[:5]}"
        )
    print(f"ok  data and log in {data}; nothing written in the install folder", flush=True)


def check_missing_library_is_named(folder: Path, home: Path) -> None:
    env = bare_env(home)
    internal = folder / "_internal"
    cases = []
    sqlcipher = sorted(internal.glob("sqlcipher3/_sqlite3*"))
    if sqlcipher:
        cases.append(("SQLCipher", sqlcipher, "sqlcipher3"))
    plugin = PLATFORM_PLUGINS.get(sys.platform, [""])[0]
    platform_files = sorted(internal.glob(f"PySide6/**/platforms/*q{plugin}*"))
    if platform_files:
        cases.append((f"the Qt platform plugin {plugin}", platform_files, repr(plugin)))
    if len(cases) != 2:
        raise CheckFailed(
            f"could not find the SQLCipher library or the platform plugin in {internal}"
        )
    for label, files, named in cases:
        broken = home / f"broken-{named.strip(chr(39))}" / APP_NAME
        shutil.copytree(folder, broken, symlinks=True)
        for file in files:
            (broken / file.relative_to(folder)).unlink()
        done = run(
            f"smoke test without {label} fails",
            [str(broken / CLI), "--smoke-test"],
            env,
            home,
            expect=1,
        )
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        if named not in last:
            raise CheckFailed(f"the failure does not name {named}: {last!r}")
        print(f"    {last}", flush=True)
        shutil.rmtree(broken.parent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", default=str(ROOT / "dist"))
    args = parser.parse_args()
    dist = Path(args.dist).resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="clinicdesk-installer-test-") as folder:
        home = Path(folder)
        try:
            installed = install(dist, home)
            check_installed(installed, home)
            check_missing_library_is_named(installed, home)
        except CheckFailed as failure:
            print(f"installer test FAILED: {failure}", file=sys.stderr)
            return 1
    print(f"installer test passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
