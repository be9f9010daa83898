"""Sync by USB stick (Clinic menu, beside Sync: admins and clinicians), for a site that never
sees the hub's network; the window's Sync machinery (``control.SyncControl``: the child, its
progress, Cancel and summary) runs these jobs.

- **Write a sync bundle to a USB stick…** (at the satellite): ``sync --export-bundle DIR``,
  then says where the bundle was written and what to do next.
- **Read a sync bundle…**: the hub's reply (``*.reply.cdsync``, back at the satellite) is taken
  with ``sync --import-bundle FILE``. Any other bundle is one an installation wrote, read at
  the main clinic's PC, where the hub's folder is set: a sync with the hub first (so the reply
  carries this installation's latest changes too), ``sync --import-bundle FILE --hub DIR``
  (applies it at the hub and writes the reply beside it), and a sync again (so this window
  lists what the other site recorded). A bundle read at the wrong end, damaged, of another
  clinic, or on a stick pulled out is refused by the child with a message naming the file,
  which the window shows; nothing is changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import QFileDialog

from clinicdesk.ui.sync.runner import Job

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

REPLY_SUFFIX = ".reply.cdsync"  # the hub's reply to a bundle (``clinicdesk.sync.bundle``)
WRITE_BUNDLE, READ_AT_HUB, READ_REPLY = "write bundle", "read at hub", "read reply"


class BundleControl(Protocol):
    """What these actions need of the window's sync control (``control.SyncControl``, which
    calls them: this module does not import it back)."""

    qt_window: QMainWindow
    hub: Path | None
    last_result: dict[str, Any] | None

    @property
    def may_sync(self) -> bool: ...

    def busy(self) -> bool: ...

    def hub_reachable(self) -> bool: ...

    def show_state(self, text: str | None = None) -> None: ...

    def launch(self, job: Job, *, quiet: bool = False, summary: bool = True) -> None: ...

    def tell(self, text: str) -> None: ...

    def refresh_window(self, received: int) -> None: ...

    def then(self) -> bool: ...

    def show_summary_lines(self, lines: list[str], open_conflicts: int) -> None: ...

    def offer_duplicates(self) -> None: ...


def _n(count: int, what: str) -> str:
    return f"{count} {what}" if count == 1 else f"{count} {what}s"


def write_bundle(control: BundleControl) -> None:
    """This installation's changes in a bundle on a USB stick (or any folder)."""
    if control.busy():
        return
    folder = QFileDialog.getExistingDirectory(
        control.qt_window, "Write the sync bundle to (choose the USB stick)"
    )
    if not folder:
        return
    control.launch(
        Job(
            WRITE_BUNDLE,
            [["sync", "--export-bundle", folder, "--json"]],
            f"Writing a sync bundle to {Path(folder).name or folder}…",
        )
    )


def read_bundle(control: BundleControl) -> None:
    """A bundle another installation wrote (applied at the hub, here where its folder is set),
    or the hub's reply to this installation's bundle (taken here)."""
    if control.busy():
        return
    chosen, _filter = QFileDialog.getOpenFileName(
        control.qt_window, "Read a sync bundle", "", "Sync bundles (*.cdsync);;All files (*)"
    )
    if not chosen:
        return
    path = Path(chosen)
    if path.name.endswith(REPLY_SUFFIX):
        control.launch(
            Job(
                READ_REPLY,
                [["sync", "--import-bundle", str(path), "--json"]],
                f"Taking the hub's reply from {path.name}…",
                path,
            )
        )
        return
    hub = control.hub
    if hub is None:
        control.tell(
            f"{path} was written at an installation, to be read at the main clinic's PC, "
            "where the hub's folder is set (Admin > Sites and sync). Read it there, then "
            f"bring back the reply it writes beside it (the file ending {REPLY_SUFFIX}) and "
            "read that here."
        )
        return
    if not control.hub_reachable():
        control.show_state()
        control.tell(
            f"The hub folder {hub} cannot be reached, so {path.name} cannot be applied there. "
            "Check the network, then read it again. (At the satellite, read the hub's reply "
            f"instead: the file ending {REPLY_SUFFIX}.)"
        )
        return
    sync = ["sync", "--hub", str(hub), "--json"]
    control.launch(
        Job(
            READ_AT_HUB,
            [sync, ["sync", "--hub", str(hub), "--import-bundle", str(path), "--json"], sync],
            f"Reading {path.name} at the hub…",
            path,
        )
    )


def bundle_done(control: BundleControl, job: Job) -> None:
    """Every command of ``job`` succeeded: say what was done, and what to do next."""
    last = job.results[-1]
    if job.kind == WRITE_BUNDLE:
        written = str(last.get("bundle", ""))
        control.show_state(f"Sync bundle written: {written}")
        changes, files = int(last.get("changes", 0)), int(last.get("files", 0))
        control.tell(
            f"The sync bundle ({_n(changes, 'change')}, {_n(files, 'photo or consent file')}) "
            f"was written to:\n{written}\n\n"
            "Next: take the stick to the main clinic. On the PC where the hub's folder is set, "
            "Clinic > Read a sync bundle… applies it and writes the hub's reply beside it (the "
            f"file ending {REPLY_SUFFIX}). Bring the stick back and read the reply here the "
            "same way."
        )
        return
    name = job.bundle.name if job.bundle else ""
    parked = 0
    if job.kind == READ_AT_HUB:
        applied = job.results[1]
        sent, parked = int(applied.get("sent", 0)), int(applied.get("parked", 0))
        received = int(job.results[0].get("received", 0)) + int(last.get("received", 0))
        lines = [
            f"Read {name}.",
            f"Applied at the hub: {_n(sent, 'change')} from the other site, {parked} parked. "
            f"This installation received {received}.",
            f"\nThe hub's reply was written beside it:\n{applied.get('reply')}",
            "\nNext: take it back to the other site and read it there (Clinic > Read a sync "
            "bundle…).",
        ]
    else:
        received, kept = int(last.get("received", 0)), int(last.get("kept", 0))
        lines = [f"Took the hub's reply {name}.", f"Received {_n(received, 'change')}."]
        if kept:
            lines.append(f"{_n(kept, 'change')} made here since are kept for the next sync.")
    open_conflicts = int(last.get("open_conflicts", 0))
    control.last_result = last
    control.show_state(
        f"Read {name}: received {received}"
        + (f"; {open_conflicts} conflicts to look at" if open_conflicts else "")
    )
    control.refresh_window(received)
    if control.then():
        return  # the window is closing
    if parked:
        lines.append(f"{parked} changes were parked instead of overwriting others.")
    control.show_summary_lines(lines, open_conflicts)
    if received and control.may_sync:
        control.offer_duplicates()
