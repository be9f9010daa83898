"""A tab of the open patient's record that reads the record only while it is on screen.

Every read of a patient's records is an audited view, so the Timeline, Photos and Documents
tabs read when they are shown, not when a patient is opened: a tab nobody looked at leaves no
entry in the audit trail. A subclass says how to read (``reload``, which sets ``_loaded``) and,
in its ``set_patient``, clears what it showed and reads now only if it is on screen; ``refresh``
(something the tab shows changed elsewhere) and showing the tab do the rest.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from clinicdesk.ui.widgets.patient_identity import PatientIdentity


class PatientTab(QWidget):
    # Whose record this is, for the forms the tab opens to name (set by the main window).
    identity: PatientIdentity | None = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.patient_id: str | None = None
        self._loaded = False  # read for ``patient_id`` since it last changed

    def reload(self) -> None:
        """Read the patient's records (audited) and show them; sets ``_loaded``."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Something shown here changed elsewhere: read again now if on screen, else when
        next shown (no audited view nobody looked at)."""
        if self.patient_id is None:
            return
        self._loaded = False
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.patient_id is not None and not self._loaded:
            self.reload()
