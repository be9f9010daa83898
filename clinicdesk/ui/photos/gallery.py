"""The patient record's Photos tab (clinicians only).

On the left the visits, newest first, each named ("Baseline", "Follow-up 2") with its
checklist of standard views ("Missing: vertex, temporal left" or "All standard views
present"); on the right one scrolling grid with every visit's heading and that visit's
thumbnails under it (or only the chosen visit's), filtered by view. Within a visit the photos
follow the checklist's order of views, so visits line up for the eye. The grid
(``photo_grid``) decodes thumbnails on worker threads, only for the photos on screen, into a
bounded cache.

Enter or a double-click opens the viewer; the context menu, the viewer and the button bar
offer "Photo details…" (correct the view or the capture time), Compare (two photos of the same
view) and Archive (the photo leaves the record; the original file is kept). Photo files and
folders dropped on the tab go to the same import dialog as "Import photos…" (a folder is
searched with its sub-folders, see ``photo_import.photo_files_in``).

Reading the list is an audited view, so it happens when the tab is shown, not when a record
is merely opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QMimeData, QModelIndex, QPoint, Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import BASELINE, Photo, PhotoVisit, View, in_checklist_order
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.photos import ImportOutcome
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.photos.compare import CompareDialog, ViewerDialog, load_image, photo_caption
from clinicdesk.ui.photos.details import PhotoDetailsDialog
from clinicdesk.ui.photos.grid import (
    PHOTO_ID_ROLE,
    GalleryModel,
    GalleryView,
    VisitHeading,
    checklist_text,
    photo_count_text,
)
from clinicdesk.ui.photos.importing import (
    ImportOptionsDialog,
    ImportSummaryDialog,
    nothing_to_import,
    photo_files_in,
    start_import,
    summary_text,
)
from clinicdesk.ui.photos.thumbnails import CACHE_SIZE, ICON_SIZE, ThumbnailCache, ThumbnailLoader
from clinicdesk.ui.widgets.background import BackgroundTask
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.patient_identity import name_the_patient
from clinicdesk.ui.widgets.patient_tab import PatientTab

__all__ = [
    "CACHE_SIZE",
    "ICON_SIZE",
    "PhotosTab",
    "ThumbnailCache",
    "checklist_text",
]

TAB_LABEL = "P&hotos"
IMAGE_FILTER = "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.heic *.heif);;All files (*)"
VISIT_ROLE = PHOTO_ID_ROLE  # the visit list's items carry their visit date (ISO)
EMPTY_TEXT = (
    "No photos yet.\n\nImport a visit's photos with “Import photos…”,\n"
    "or drag photo files or folders here."
)


def dropped_paths(mime: QMimeData) -> list[Path]:
    """The local files and folders in a drop; anything else (text, web links) gives none."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class PhotosTab(PatientTab):
    """See the module docstring."""

    def __init__(self, services: ClinicServices, user: CurrentUser, tabs: QTabWidget) -> None:
        super().__init__(tabs)  # parented from the start; shown in the tabs by role
        self.setObjectName("photos_tab")
        self.services = services
        self.user = user
        self._tabs = tabs
        self.photos: list[Photo] = []
        self.visits: list[PhotoVisit] = []  # newest first
        self._thumbnails_for: str | None = None  # the patient the loader reads for
        self.task: BackgroundTask | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.options_dialog: ImportOptionsDialog | None = None
        self.summary_dialog: ImportSummaryDialog | None = None
        self.drop_message: QMessageBox | None = None
        self.viewer_dialog: ViewerDialog | None = None
        self.compare_dialog: CompareDialog | None = None
        self.details_dialog: PhotoDetailsDialog | None = None
        self.context_menu: QMenu | None = None
        self.setAcceptDrops(True)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.import_button = QPushButton("&Import photos…")
        self.import_button.setObjectName("import_photos")
        self.import_button.setToolTip("Or drag photo files or folders onto this tab")
        self.import_button.clicked.connect(self._import_clicked)
        bar.addWidget(self.import_button)
        bar.addWidget(QLabel("View:"))
        self.view_filter = QComboBox()
        self.view_filter.setObjectName("photo_view_filter")
        self.view_filter.addItem("All views", None)
        for view in View:
            self.view_filter.addItem(view.label, view.value)
        self.view_filter.addItem("Not tagged", "")
        self.view_filter.currentIndexChanged.connect(self._filter_changed)
        bar.addWidget(self.view_filter)

        self.open_action = QAction("&Open", self)
        self.open_action.triggered.connect(self._open_triggered)
        self.details_action = QAction("Photo &details…", self)
        self.details_action.setToolTip("Correct the view or the time the photo was taken")
        self.details_action.triggered.connect(self._details_triggered)
        self.compare_action = QAction("&Compare…", self)
        self.compare_action.setToolTip("Baseline and latest photo of the selected photo's view")
        self.compare_action.triggered.connect(self._compare_clicked)
        self.archive_action = QAction("&Archive photo…", self)
        self.archive_action.setToolTip("Take the photo out of the record; the file is kept")
        self.archive_action.triggered.connect(self._archive_clicked)

        self.compare_button = self._action_button(self.compare_action, "compare_photos")
        self.details_button = self._action_button(self.details_action, "photo_details")
        self.archive_button = self._action_button(self.archive_action, "archive_photo")
        self.archive_button.setText("&Archive photo")
        for button in (self.compare_button, self.details_button, self.archive_button):
            bar.addWidget(button)
        bar.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("photos_status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        bar.addWidget(self.status)
        layout.addLayout(bar)

        splitter = QSplitter()
        self.visit_list = QListWidget()
        self.visit_list.setObjectName("photo_visits")
        self.visit_list.setWordWrap(True)
        self.visit_list.setSpacing(3)
        self.visit_list.setAlternatingRowColors(True)
        self.visit_list.currentRowChanged.connect(self._visit_changed)
        splitter.addWidget(self.visit_list)
        self.loader = ThumbnailLoader(self)
        self.model = GalleryModel(self.loader, self)
        self.grid = GalleryView()
        self.grid.setObjectName("photo_grid")
        self.grid.setModel(self.model)
        self.grid.activated.connect(self._photo_activated)  # Enter, or a double-click
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._context_menu_requested)
        splitter.addWidget(self.grid)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([220, 660])
        layout.addWidget(splitter, 1)
        self._update_buttons()

    @staticmethod
    def _action_button(action: QAction, name: str) -> QPushButton:
        button = QPushButton(action.text())
        button.setObjectName(name)
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)
        return button

    # -- role and patient -------------------------------------------------------------------

    def apply_role(self, user: CurrentUser, after: QWidget | None = None) -> None:
        """A tab (after ``after``) only for those who may handle photos: clinicians."""
        self.user = user
        self.set_patient(None)
        allowed = user.may(Permission.PHOTOS)
        index = self._tabs.indexOf(self)
        if allowed and index < 0:
            anchor = self._tabs.indexOf(after) if after is not None else -1
            if anchor >= 0:
                self._tabs.insertTab(anchor + 1, self, TAB_LABEL)
            else:
                self._tabs.addTab(self, TAB_LABEL)
        elif not allowed and index >= 0:
            self._tabs.removeTab(index)
            self.hide()

    def set_patient(self, patient_id: str | None) -> None:
        """Show ``patient_id``'s photos (read now if on screen, else when the tab is shown)."""
        self.patient_id = patient_id
        self._loaded = False
        self.photos = []
        self.visits = []
        if patient_id is None or patient_id != self._thumbnails_for:
            # Another patient: thumbnails still on their way for the last one are ignored.
            self.loader.set_reader(None)
            self.model.clear_thumbnails()
            self._thumbnails_for = None
        self._fill()
        if patient_id is not None and self.isVisible():
            self.reload()

    def reload(self) -> None:
        if self.patient_id is None or self._tabs.indexOf(self) < 0:
            return
        photos_service = self.services.photos
        try:
            photos = photos_service.list_photos(self.user, self.patient_id)
            visits = photos_service.visits(self.user, self.patient_id, photos)
            if self._thumbnails_for != self.patient_id:
                reader = photos_service.thumbnail_reader(self.user, self.patient_id)
                self.loader.set_reader(reader)
                self.model.clear_thumbnails()
                self._thumbnails_for = self.patient_id
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._loaded = True
        self.photos = photos
        self.visits = list(reversed(visits))
        self._fill()

    # -- showing ----------------------------------------------------------------------------

    def _fill(self) -> None:
        current = self.selected_visit()
        self.visit_list.blockSignals(True)
        self.visit_list.clear()
        self.visit_list.addItem(f"All visits\n{photo_count_text(len(self.photos))}")
        row_to_select = 0
        for row, visit in enumerate(self.visits, start=1):
            day = visit.visit_date
            item = QListWidgetItem(
                f"{format_uk(day)} · {visit.label}\n{photo_count_text(visit.photo_count)}\n"
                f"{checklist_text(visit.missing)}"
            )
            item.setData(VISIT_ROLE, day.isoformat())
            if visit.missing:
                item.setForeground(QColor("#8a4b00"))
            self.visit_list.addItem(item)
            if day == current:
                row_to_select = row
        self.visit_list.setCurrentRow(row_to_select)
        self.visit_list.blockSignals(False)
        self._show_photos()

    def selected_visit(self) -> date | None:
        item = self.visit_list.currentItem()
        value = item.data(VISIT_ROLE) if item is not None else None
        return date.fromisoformat(value) if isinstance(value, str) else None

    def baseline_date(self) -> date | None:
        return next((v.visit_date for v in self.visits if v.label == BASELINE), None)

    def _wanted(self, photo: Photo) -> bool:
        wanted = self.view_filter.currentData()
        return wanted is None or (photo.view.value if photo.view else "") == wanted

    def _show_photos(self) -> None:
        chosen = self.selected_visit()
        keep = self.selected_photo()
        filtered = self.view_filter.currentData() is not None
        groups: list[tuple[VisitHeading, Sequence[Photo]]] = []
        for visit in self.visits:
            if chosen is not None and visit.visit_date != chosen:
                continue
            photos = in_checklist_order(
                p for p in self.photos if p.visit_date == visit.visit_date and self._wanted(p)
            )
            groups.append((VisitHeading(visit, len(photos), filtered), photos))
        self.model.set_groups(groups)
        if keep is not None:
            self.select_photo(keep.id)
        self.grid.set_empty_text(
            EMPTY_TEXT if self.patient_id is not None and self._loaded and not self.photos else ""
        )
        self._show_status()
        self._update_buttons()

    def _visit_changed(self, _row: int) -> None:
        self._show_photos()

    def _filter_changed(self, _index: int) -> None:
        self._show_photos()

    def _current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_buttons()

    def selected_photo(self) -> Photo | None:
        index = self.grid.currentIndex()
        return self.model.photo_at(index.row()) if index.isValid() else None

    def select_photo(self, photo_id: str) -> None:
        index = self.model.index_of(photo_id)
        if index.isValid():
            self.grid.setCurrentIndex(index)

    def _update_buttons(self) -> None:
        has_patient = self.patient_id is not None
        selected = self.selected_photo() is not None
        self.import_button.setEnabled(has_patient and self.task is None)
        for action, button in (
            (self.open_action, None),
            (self.details_action, self.details_button),
            (self.compare_action, self.compare_button),
            (self.archive_action, self.archive_button),
        ):
            action.setEnabled(selected)
            if button is not None:
                button.setEnabled(selected)

    # -- import -----------------------------------------------------------------------------

    def _may_import(self) -> bool:
        return self.patient_id is not None and self.task is None and self.isEnabled()

    def _import_clicked(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(self, "Import photos", "", IMAGE_FILTER)
        if names:
            self.ask_to_import([Path(n) for n in names])

    def ask_to_import(self, paths: Sequence[Path], description: str | None = None) -> None:
        """The import dialog (view and visit for every file), then the import. The view
        filter's view and the chosen visit are offered first."""
        if not self._may_import() or not paths:
            return
        if self.options_dialog is not None:
            self.options_dialog.deleteLater()
        wanted = self.view_filter.currentData()
        dialog = ImportOptionsDialog(
            len(paths),
            self.services.patients.today(),
            self,
            description=description,
            view=View(wanted) if wanted else None,
            visit_date=self.selected_visit(),
        )
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        name_the_patient(dialog, self.identity)
        files = list(paths)

        def accepted() -> None:
            self.import_files(files, dialog.view, dialog.visit_date)

        dialog.accepted.connect(accepted)
        self.options_dialog = dialog
        dialog.open()

    def import_files(self, paths: Sequence[Path], view: View | None, visit_date: date) -> None:
        """Import ``paths`` in the background, then show the summary and the photos."""
        if self.patient_id is None or self.task is not None:
            return
        requested = len(paths)

        def done(outcomes: list[ImportOutcome]) -> None:
            self._imported(outcomes, requested)

        self.task = start_import(
            self,
            self.services,
            self.user,
            self.patient_id,
            paths,
            view,
            visit_date,
            done,
        )
        self.task.finished.connect(self._task_finished)
        self._update_buttons()

    def _task_finished(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.deleteLater()
        if self.task is not None:
            # The last import's progress dialog is kept (hidden) until the next one ends.
            self.progress_dialog = self.task.dialog
            self.task.deleteLater()
        self.task = None
        self._update_buttons()

    def _imported(self, outcomes: list[ImportOutcome], requested: int) -> None:
        self._loaded = False
        self.reload()
        if self.summary_dialog is not None:
            self.summary_dialog.deleteLater()
        self.summary_dialog = ImportSummaryDialog(summary_text(outcomes, requested), self)
        self.summary_dialog.open()

    # -- drag and drop ----------------------------------------------------------------------

    def _accept_drag(self, event: QDragEnterEvent | QDragMoveEvent) -> None:
        if self._may_import() and dropped_paths(event.mimeData()):
            # Always a copy: a file manager that proposes a move must not delete the originals.
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_drag(event)
        if event.isAccepted():
            self.status.setText("Drop to import")

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_drag(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        super().dragLeaveEvent(event)
        self._show_status()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event.mimeData())
        if not self._may_import() or not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self._show_status()
        dropped = photo_files_in(paths)
        refusal = nothing_to_import(dropped)
        if refusal is None:
            self.ask_to_import(dropped.files, dropped.description())
            return
        if self.drop_message is not None:
            self.drop_message.deleteLater()
        self.drop_message = QMessageBox(
            QMessageBox.Icon.Information,
            "Import photos",
            refusal,
            QMessageBox.StandardButton.Ok,
            self,
        )
        self.drop_message.setTextFormat(Qt.TextFormat.PlainText)  # file names as they are
        self.drop_message.open()

    def _show_status(self) -> None:
        self.status.setText(f"{len(self.model.photos)} shown" if self.patient_id else "")

    # -- viewer, details, compare, archive --------------------------------------------------

    def _photo_activated(self, index: QModelIndex) -> None:
        photo = self.model.photo_at(index.row())
        if photo is not None:
            self.open_viewer(photo)

    def _open_triggered(self, _checked: bool = False) -> None:
        photo = self.selected_photo()
        if photo is not None:
            self.open_viewer(photo)

    def _context_menu_requested(self, position: QPoint) -> None:
        index = self.grid.indexAt(position)
        if self.model.photo_at(index.row()) is None:
            return
        self.grid.setCurrentIndex(index)
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        menu = QMenu(self)
        menu.setObjectName("photo_context_menu")
        menu.addAction(self.open_action)
        menu.addAction(self.details_action)
        menu.addAction(self.compare_action)
        menu.addSeparator()
        menu.addAction(self.archive_action)
        self.context_menu = menu
        menu.popup(self.grid.viewport().mapToGlobal(position))

    def open_viewer(self, photo: Photo) -> None:
        try:
            image = load_image(self.services.photos, self.user, photo.id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        if self.viewer_dialog is not None:
            self.viewer_dialog.deleteLater()
        self.viewer_dialog = ViewerDialog(
            photo, image, self, photos=self.model.photos, load=self._viewer_image
        )
        name_the_patient(self.viewer_dialog, self.identity)
        self.viewer_dialog.details_requested.connect(self._viewer_details_requested)
        self.viewer_dialog.moved.connect(self.select_photo)  # the grid follows the viewer
        self.viewer_dialog.open()

    def _viewer_image(self, photo: Photo) -> QImage | None:
        """The next or previous photo for the viewer; None (and the reason shown) if unreadable."""
        try:
            return load_image(self.services.photos, self.user, photo.id)
        except UserError as exc:
            show_user_error(self.viewer_dialog or self, exc)
            return None

    def _viewer_details_requested(self) -> None:
        if self.viewer_dialog is not None:
            self.open_details(self.viewer_dialog.photo, self.viewer_dialog)

    def _details_triggered(self, _checked: bool = False) -> None:
        photo = self.selected_photo()
        if photo is not None:
            self.open_details(photo)

    def open_details(self, photo: Photo, parent: QWidget | None = None) -> None:
        if self.details_dialog is not None:
            self.details_dialog.deleteLater()
        dialog = PhotoDetailsDialog(self.services.photos, self.user, photo, parent or self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        name_the_patient(dialog, self.identity)
        dialog.saved.connect(self._details_saved)
        self.details_dialog = dialog
        dialog.open()

    def _details_saved(self, saved: object) -> None:
        """The photo as stored: regroup and recount without reading the whole list again."""
        assert isinstance(saved, Photo)
        photos = [saved if p.id == saved.id else p for p in self.photos]
        if self.patient_id is not None:
            try:
                visits = self.services.photos.visits(self.user, self.patient_id, photos)
            except UserError as exc:
                show_user_error(self, exc)
                return
            self.photos = photos
            self.visits = list(reversed(visits))
            self._fill()
            self.select_photo(saved.id)
        if self.viewer_dialog is not None and self.viewer_dialog.photo.id == saved.id:
            self.viewer_dialog.set_photo(saved)

    def _compare_clicked(self, _checked: bool = False) -> None:
        photo = self.selected_photo()
        if photo is not None:
            self.open_compare(photo)

    def open_compare(self, photo: Photo) -> None:
        if self.compare_dialog is not None:
            self.compare_dialog.deleteLater()
        self.compare_dialog = CompareDialog(
            self.services.photos, self.user, self.photos, photo, self, baseline=self.baseline_date()
        )
        name_the_patient(self.compare_dialog, self.identity)
        self.compare_dialog.open()

    def _archive_clicked(self, _checked: bool = False) -> None:
        photo = self.selected_photo()
        if photo is None:
            return
        answer = QMessageBox.question(
            self,
            "Archive photo",
            f"Archive the photo {photo.original_name} ({photo_caption(photo)})?\n\n"
            "It leaves the record; the original file is kept and the change is audited.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.services.photos.archive(self.user, photo.id, photo.version)
        except UserError as exc:
            show_user_error(self, exc)
        self.reload()
