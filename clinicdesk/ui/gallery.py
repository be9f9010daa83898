"""The patient record's Photos tab (clinicians only).

On the left the visits, newest first, each with its checklist of standard views ("Missing:
vertex, temporal left" or "All standard views present"); on the right the thumbnails of the
chosen visit (or of every visit, grouped by visit, newest first), filtered by view. The
thumbnail model decodes a thumbnail only when the view asks for it (only visible items are
asked) and keeps the decoded pixmaps in a small LRU cache, so hundreds of photos scroll with
bounded memory. Double-click opens the viewer; Compare opens two photos of the same view;
Archive takes a photo out of the record (the original file is kept).

Reading the list is an audited view, so it happens when the tab is shown, not when a record
is merely opened.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import Photo, View
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import UserError
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.photos import ImportOutcome
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.background import BackgroundTask
from clinicdesk.ui.compare import CompareDialog, ViewerDialog, load_image, photo_caption
from clinicdesk.ui.errors import show_user_error
from clinicdesk.ui.photo_import import (
    ImportOptionsDialog,
    ImportSummaryDialog,
    start_import,
    summary_text,
)

AnyIndex = QModelIndex | QPersistentModelIndex
TAB_LABEL = "P&hotos"
ICON_SIZE = 150
CACHE_SIZE = 200  # decoded thumbnails kept (about 256x256x4 bytes each at most)
PHOTO_ID_ROLE = Qt.ItemDataRole.UserRole
IMAGE_FILTER = "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.heic *.heif);;All files (*)"


def checklist_text(missing: Sequence[View]) -> str:
    if not missing:
        return "All standard views present"
    return "Missing: " + ", ".join(view.label.lower() for view in missing)


class ThumbnailCache:
    """Least recently used pixmaps, at most ``capacity`` of them."""

    def __init__(self, capacity: int = CACHE_SIZE) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, QPixmap] = OrderedDict()

    def get(self, key: str) -> QPixmap | None:
        pixmap = self._items.get(key)
        if pixmap is not None:
            self._items.move_to_end(key)
        return pixmap

    def put(self, key: str, pixmap: QPixmap) -> None:
        self._items[key] = pixmap
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()


class ThumbnailModel(QAbstractListModel):
    """Photos as icons with a caption; thumbnails decoded on demand and cached."""

    def __init__(self, services: ClinicServices, user: CurrentUser, parent: QWidget) -> None:
        super().__init__(parent)
        self.services = services
        self.user = user
        self.photos: list[Photo] = []
        self.cache = ThumbnailCache()
        self.decoded = 0  # thumbnails decoded so far (tests check laziness)
        self._placeholder = QPixmap(ICON_SIZE, ICON_SIZE)
        self._placeholder.fill(QColor("#d9e2ec"))

    def set_photos(self, photos: Sequence[Photo]) -> None:
        self.beginResetModel()
        self.photos = list(photos)
        self.endResetModel()

    def photo_at(self, row: int) -> Photo | None:
        return self.photos[row] if 0 <= row < len(self.photos) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.photos)

    def thumbnail(self, photo: Photo) -> QPixmap:
        pixmap = self.cache.get(photo.id)
        if pixmap is None:
            try:
                data = self.services.photos.thumbnail(self.user, photo.id)
            except UserError:
                data = b""
            image = QImage.fromData(data) if data else QImage()
            self.decoded += 1
            pixmap = QPixmap.fromImage(image) if not image.isNull() else self._placeholder
            self.cache.put(photo.id, pixmap)
        return pixmap

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        photo = self.photo_at(index.row()) if index.isValid() else None
        if photo is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return photo_caption(photo)
        if role == Qt.ItemDataRole.DecorationRole:
            return QIcon(self.thumbnail(photo))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{photo.original_name}\nTaken {photo.taken_at:%d/%m/%Y %H:%M}"
        if role == PHOTO_ID_ROLE:
            return photo.id
        return None


class PhotosTab(QWidget):
    """See the module docstring."""

    def __init__(self, services: ClinicServices, user: CurrentUser, tabs: QTabWidget) -> None:
        super().__init__(tabs)  # parented from the start; shown in the tabs by role
        self.setObjectName("photos_tab")
        self.services = services
        self.user = user
        self._tabs = tabs
        self.patient_id: str | None = None
        self.photos: list[Photo] = []
        self.visits: list[tuple[date, list[View]]] = []  # (visit, missing views), newest first
        self._loaded = False
        self.task: BackgroundTask | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.summary_dialog: ImportSummaryDialog | None = None
        self.viewer_dialog: ViewerDialog | None = None
        self.compare_dialog: CompareDialog | None = None
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.import_button = QPushButton("&Import photos…")
        self.import_button.setObjectName("import_photos")
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
        self.compare_button = QPushButton("&Compare…")
        self.compare_button.setObjectName("compare_photos")
        self.compare_button.setToolTip("Baseline and latest photo of the selected photo's view")
        self.compare_button.clicked.connect(self._compare_clicked)
        bar.addWidget(self.compare_button)
        self.archive_button = QPushButton("&Archive photo")
        self.archive_button.setObjectName("archive_photo")
        self.archive_button.setToolTip("Take the photo out of the record; the file is kept")
        self.archive_button.clicked.connect(self._archive_clicked)
        bar.addWidget(self.archive_button)
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
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setObjectName("visit_heading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.checklist = QLabel()
        self.checklist.setObjectName("visit_checklist")
        self.checklist.setTextFormat(Qt.TextFormat.PlainText)
        self.checklist.setWordWrap(True)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.checklist)
        self.model = ThumbnailModel(self.services, self.user, self)
        self.grid = QListView()
        self.grid.setObjectName("photo_grid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.grid.setGridSize(QSize(ICON_SIZE + 30, ICON_SIZE + 40))
        self.grid.setUniformItemSizes(True)  # no decoding just to lay the items out
        self.grid.setLayoutMode(QListView.LayoutMode.Batched)
        self.grid.setWordWrap(True)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setModel(self.model)
        self.grid.doubleClicked.connect(self._photo_double_clicked)
        self.grid.selectionModel().currentChanged.connect(self._current_changed)
        right_layout.addWidget(self.grid, 1)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([220, 660])
        layout.addWidget(splitter, 1)
        self._update_buttons()

    # -- role and patient -------------------------------------------------------------------

    def apply_role(self, user: CurrentUser, after: QWidget | None = None) -> None:
        """A tab (after ``after``) only for those who may handle photos: clinicians."""
        self.user = user
        self.model.user = user
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
        self.model.cache.clear()
        self._fill()
        if patient_id is not None and self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.patient_id is not None and not self._loaded:
            self.reload()

    def reload(self) -> None:
        if self.patient_id is None or self._tabs.indexOf(self) < 0:
            return
        photos_service = self.services.photos
        try:
            photos = photos_service.list_photos(self.user, self.patient_id)
            visit_dates = sorted({p.visit_date for p in photos}, reverse=True)
            visits = [
                (day, photos_service.missing_views(self.user, self.patient_id, day))
                for day in visit_dates
            ]
        except UserError as exc:
            show_user_error(self, exc)
            return
        self._loaded = True
        self.photos = sorted(photos, key=lambda p: (p.visit_date, p.taken_at), reverse=True)
        self.visits = visits
        self._fill()

    # -- showing ----------------------------------------------------------------------------

    def _fill(self) -> None:
        current = self.selected_visit()
        self.visit_list.blockSignals(True)
        self.visit_list.clear()
        total = len(self.photos)
        self.visit_list.addItem(f"All visits\n{total} photo{'s' if total != 1 else ''}")
        row_to_select = 0
        for row, (day, missing) in enumerate(self.visits, start=1):
            count = sum(1 for p in self.photos if p.visit_date == day)
            item = QListWidgetItem(
                f"{format_uk(day)} — {count} photo{'s' if count != 1 else ''}\n"
                f"{checklist_text(missing)}"
            )
            item.setData(PHOTO_ID_ROLE, day.isoformat())
            if missing:
                item.setForeground(QColor("#8a4b00"))
            self.visit_list.addItem(item)
            if day == current:
                row_to_select = row
        self.visit_list.setCurrentRow(row_to_select)
        self.visit_list.blockSignals(False)
        self._show_photos()

    def selected_visit(self) -> date | None:
        item = self.visit_list.currentItem()
        value = item.data(PHOTO_ID_ROLE) if item is not None else None
        return date.fromisoformat(value) if isinstance(value, str) else None

    def checklist_for(self, visit: date) -> str:
        for day, missing in self.visits:
            if day == visit:
                return checklist_text(missing)
        return ""

    def _show_photos(self) -> None:
        visit = self.selected_visit()
        wanted = self.view_filter.currentData()
        shown = [
            p
            for p in self.photos
            if (visit is None or p.visit_date == visit)
            and (wanted is None or (p.view.value if p.view else "") == wanted)
        ]
        self.model.set_photos(shown)
        if self.patient_id is None:
            self.heading.setText("")
            self.checklist.setText("")
        elif visit is None:
            self.heading.setText("All visits" if self.photos else "No photos yet")
            self.checklist.setText(
                "Newest visit first. Choose a visit on the left for its checklist of views."
                if self.photos
                else "Import a visit's photos with “Import photos…”."
            )
        else:
            self.heading.setText(f"Visit of {format_uk(visit)}")
            self.checklist.setText(self.checklist_for(visit))
        self.status.setText(f"{len(shown)} shown" if self.patient_id else "")
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
        for row, photo in enumerate(self.model.photos):
            if photo.id == photo_id:
                self.grid.setCurrentIndex(self.model.index(row, 0))
                return

    def _update_buttons(self) -> None:
        has_patient = self.patient_id is not None
        selected = self.selected_photo() is not None
        self.import_button.setEnabled(has_patient and self.task is None)
        self.compare_button.setEnabled(selected)
        self.archive_button.setEnabled(selected)

    # -- import -----------------------------------------------------------------------------

    def _import_clicked(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(self, "Import photos", "", IMAGE_FILTER)
        if not names:
            return
        options = ImportOptionsDialog(len(names), self.services.patients.today(), self)
        if options.exec() != ImportOptionsDialog.DialogCode.Accepted:
            return
        self.import_files([Path(n) for n in names], options.view, options.visit_date)

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

    # -- viewer, compare, archive -----------------------------------------------------------

    def _photo_double_clicked(self, index: QModelIndex) -> None:
        photo = self.model.photo_at(index.row())
        if photo is not None:
            self.open_viewer(photo)

    def open_viewer(self, photo: Photo) -> None:
        try:
            image = load_image(self.services.photos, self.user, photo.id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        if self.viewer_dialog is not None:
            self.viewer_dialog.deleteLater()
        self.viewer_dialog = ViewerDialog(photo, image, self)
        self.viewer_dialog.open()

    def _compare_clicked(self) -> None:
        photo = self.selected_photo()
        if photo is not None:
            self.open_compare(photo)

    def open_compare(self, photo: Photo) -> None:
        if self.compare_dialog is not None:
            self.compare_dialog.deleteLater()
        self.compare_dialog = CompareDialog(
            self.services.photos, self.user, self.photos, photo, self
        )
        self.compare_dialog.open()

    def _archive_clicked(self) -> None:
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
