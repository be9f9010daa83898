"""Looking at photos: a zoomable viewer, and two photos of one view compared.

``PhotoViewer`` is a QGraphicsView over one image: the wheel (or Ctrl+= / Ctrl+-) zooms about
the pointer, Ctrl+0 fits the photo to the window, dragging pans. ``CompareDialog`` shows two
photos of the same view side by side, their zoom and scroll kept in step, or one over the
other with a wipe slider (``WipeView`` paints the left part of the earlier photo and the right
part of the later one at the slider's position). Dates and view are written over each side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import Photo, view_caption
from clinicdesk.errors import UserError
from clinicdesk.services.photos import PhotoService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.patient_identity import set_title

ZOOM_STEP = 1.25
MIN_SCALE = 0.02
MAX_SCALE = 40.0


def photo_caption(photo: Photo) -> str:
    return f"{format_uk(photo.visit_date)} · {view_caption(photo.view, photo.region)}"


def load_image(service: PhotoService, user: CurrentUser, photo_id: str) -> QImage:
    """The photo's display copy decoded (a null image when Qt cannot read it)."""
    return QImage.fromData(service.display(user, photo_id))


class PhotoViewer(QGraphicsView):
    """One photo: wheel zoom, Ctrl +/- and Ctrl+0 (fit), drag to pan."""

    zoomed = Signal()  # the transform changed (by the user)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photo_viewer")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QColor("#202124"))
        self.fitted = True

    def set_image(self, image: QImage) -> None:
        self.item.setPixmap(QPixmap.fromImage(image))
        self._scene.setSceneRect(QRectF(self.item.boundingRect()))
        self.fit()

    @property
    def scale_factor(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(max(self.scale_factor * factor, MIN_SCALE), MAX_SCALE)
        if self.scale_factor > 0:
            factor = target / self.scale_factor
        self.scale(factor, factor)
        self.fitted = False
        self.zoomed.emit()

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def fit(self) -> None:
        if not self.item.pixmap().isNull():
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.fitted = True
        self.zoomed.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fitted:
            self.fit()


def add_zoom_shortcuts(owner: QWidget, viewer: PhotoViewer) -> None:
    """Ctrl+= (and Ctrl++), Ctrl+- and Ctrl+0 on ``owner`` drive ``viewer``."""
    for keys, slot in (
        (("Ctrl+=", "Ctrl++"), viewer.zoom_in),
        (("Ctrl+-",), viewer.zoom_out),
        (("Ctrl+0",), viewer.fit),
    ):
        for key in keys:
            shortcut = QShortcut(QKeySequence(key), owner)
            shortcut.activated.connect(slot)


PhotoLoader = Callable[[Photo], "QImage | None"]  # None: could not be read (already said)


class ViewerDialog(QDialog):
    """One photo, large, with zoom buttons; "Photo details…" asks (``details_requested``) to
    correct its view or capture time, and ``set_photo`` shows the corrected caption.

    Given the grid's ``photos`` (in the grid's order) and a ``load`` function, Previous and
    Next (also Left/Right and Page Up/Page Down) move through them, with "3 of 12" between
    the buttons; the move is announced (``moved``) so the grid can follow.
    """

    details_requested = Signal()
    moved = Signal(str)  # the id of the photo now shown

    def __init__(
        self,
        photo: Photo,
        image: QImage,
        parent: QWidget | None = None,
        *,
        photos: Sequence[Photo] = (),
        load: PhotoLoader | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("photo_viewer_dialog")
        self.photos = list(photos) or [photo]
        self._load = load
        layout = QVBoxLayout(self)
        self.caption = QLabel()
        self.caption.setObjectName("viewer_caption")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.caption)
        self.viewer = PhotoViewer(self)
        layout.addWidget(self.viewer, 1)
        buttons = QHBoxLayout()
        self.previous_button = QPushButton("◀ &Previous")
        self.previous_button.setObjectName("viewer_previous")
        self.previous_button.setToolTip("The photo before this one in the grid (Left, Page Up)")
        self.previous_button.clicked.connect(self.show_previous)
        self.position_label = QLabel()
        self.position_label.setObjectName("viewer_position")
        self.next_button = QPushButton("&Next ▶")
        self.next_button.setObjectName("viewer_next")
        self.next_button.setToolTip("The photo after this one in the grid (Right, Page Down)")
        self.next_button.clicked.connect(self.show_next)
        for widget in (self.previous_button, self.position_label, self.next_button):
            buttons.addWidget(widget)
        buttons.addSpacing(12)
        for text, slot, tip in (
            ("Zoom &in", self.viewer.zoom_in, "Ctrl+="),
            ("Zoom &out", self.viewer.zoom_out, "Ctrl+-"),
            ("&Fit", self.viewer.fit, "Ctrl+0"),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.details_button = QPushButton("Photo &details…")
        self.details_button.setObjectName("viewer_details")
        self.details_button.setToolTip("Correct the view or the time the photo was taken")
        self.details_button.clicked.connect(self._details_clicked)
        buttons.addWidget(self.details_button)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        add_zoom_shortcuts(self, self.viewer)
        # Window-wide shortcuts, so the arrows move between photos even while the picture
        # (a scroll area, which would otherwise scroll with them) has the focus.
        for keys, slot in (
            ((Qt.Key.Key_Left, Qt.Key.Key_PageUp), self.show_previous),
            ((Qt.Key.Key_Right, Qt.Key.Key_PageDown), self.show_next),
        ):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.activated.connect(slot)
        self.resize(900, 700)
        self.set_photo(photo)
        self.viewer.set_image(image)

    @property
    def position(self) -> int:
        """The shown photo's place in ``photos`` (0-based)."""
        return next((i for i, p in enumerate(self.photos) if p.id == self.photo.id), 0)

    def set_photo(self, photo: Photo) -> None:
        self.photo = photo
        self.photos = [photo if p.id == photo.id else p for p in self.photos]
        set_title(self, f"Photo — {photo_caption(photo)}")  # and the patient, once named
        taken = f"taken {photo.taken_at:%d/%m/%Y %H:%M}"
        self.caption.setText(f"{photo_caption(photo)}   ({photo.original_name}, {taken})")
        self._update_position()

    def _update_position(self) -> None:
        count, at = len(self.photos), self.position
        self.position_label.setText(f"{at + 1} of {count}")
        navigable = self._load is not None and count > 1
        self.previous_button.setEnabled(navigable and at > 0)
        self.next_button.setEnabled(navigable and at < count - 1)

    def show_previous(self) -> None:
        self._go(self.position - 1)

    def show_next(self) -> None:
        self._go(self.position + 1)

    def _go(self, position: int) -> None:
        if self._load is None or not 0 <= position < len(self.photos):
            return
        photo = self.photos[position]
        image = self._load(photo)
        if image is None:
            return
        self.set_photo(photo)
        self.viewer.set_image(image)
        self.moved.emit(photo.id)

    def _details_clicked(self) -> None:
        self.details_requested.emit()


class WipeView(QWidget):
    """Photo A on the left of the split, photo B on the right, both scaled to fit the same
    rectangle; ``position`` (0-1000) moves the split."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wipe_view")
        self.setMinimumSize(200, 150)
        self.left = QImage()
        self.right = QImage()
        self.left_caption = ""
        self.right_caption = ""
        self.position = 500
        self.last_split_x: int | None = None  # where the split was last painted

    def set_images(
        self, left: QImage, left_caption: str, right: QImage, right_caption: str
    ) -> None:
        self.left, self.right = left, right
        self.left_caption, self.right_caption = left_caption, right_caption
        self.update()

    def set_position(self, position: int) -> None:
        self.position = position
        self.update()

    def image_rect(self) -> QRectF:
        """Where the photos are drawn: the first photo's shape, fitted and centred."""
        size = self.left.size() if not self.left.isNull() else self.right.size()
        if size.isEmpty():
            return QRectF(self.rect())
        scale = min(self.width() / size.width(), self.height() / size.height())
        w, h = size.width() * scale, size.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def split_x(self) -> int:
        target = self.image_rect()
        return round(target.left() + target.width() * self.position / 1000)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), QColor("#202124"))
        target = self.image_rect()
        split = self.split_x()
        top, height = target.top(), target.height()
        for image, clip in (
            (self.left, QRectF(target.left(), top, split - target.left(), height)),
            (self.right, QRectF(split, top, target.right() - split, height)),
        ):
            if image.isNull() or clip.width() <= 0:
                continue
            painter.save()
            painter.setClipRect(clip)
            painter.drawImage(target, image)
            painter.restore()
        painter.setPen(QPen(QColor("#ffd54f"), 2))
        painter.drawLine(QPointF(split, target.top()), QPointF(split, target.bottom()))
        margin = 6
        metrics = painter.fontMetrics()
        for caption, left_side in ((self.left_caption, True), (self.right_caption, False)):
            width = metrics.horizontalAdvance(caption) + 2 * margin
            x = target.left() + margin if left_side else target.right() - margin - width
            box = QRectF(x, target.top() + margin, width, metrics.height() + margin)
            painter.fillRect(box, QColor(0, 0, 0, 160))
            painter.setPen(QColor("white"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, caption)
        painter.end()
        self.last_split_x = split


def default_pair(
    photos: Sequence[Photo], selected: Photo, baseline: date | None = None
) -> tuple[Photo, Photo]:
    """Baseline and latest of the selected photo's view: the photo of the ``baseline`` visit
    (the gallery's "Baseline" heading) if it has one, else the earliest visit's, and the latest
    visit's (the selected photo itself when it is the only one of its view)."""
    same = sorted(
        (p for p in photos if p.view == selected.view),
        key=lambda p: (p.visit_date, p.taken_at, p.id),
    )
    if len(same) < 2:
        return selected, selected
    at_baseline = [p for p in same if p.visit_date == baseline]
    first = at_baseline[0] if at_baseline and at_baseline[0] is not same[-1] else same[0]
    return first, same[-1]


class CompareDialog(QDialog):
    """Two photos of one view: side by side (zoom and pan in step) or wiped over each other."""

    def __init__(
        self,
        service: PhotoService,
        user: CurrentUser,
        photos: Sequence[Photo],
        selected: Photo,
        parent: QWidget | None = None,
        *,
        baseline: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compare_dialog")
        self.service = service
        self.user = user
        view = selected.view.label if selected.view is not None else "untagged photos"
        self.setWindowTitle(f"Compare — {view}")
        self.photos = sorted(
            (p for p in photos if p.view == selected.view),
            key=lambda p: (p.visit_date, p.taken_at, p.id),
        )
        self._images: dict[str, QImage] = {}
        self._syncing = False
        first, last = default_pair(self.photos, selected, baseline)

        layout = QVBoxLayout(self)
        pickers = QHBoxLayout()
        self.left_box = self._picker("compare_left", first)
        self.right_box = self._picker("compare_right", last)
        for text, box in (("&Before:", self.left_box), ("&After:", self.right_box)):
            label = QLabel(text)
            label.setBuddy(box)
            pickers.addWidget(label)
            pickers.addWidget(box, 1)
        self.mode_button = QPushButton("&Wipe")
        self.mode_button.setObjectName("compare_mode")
        self.mode_button.setCheckable(True)
        self.mode_button.setToolTip("Show one photo over the other with a slider")
        self.mode_button.toggled.connect(self._mode_toggled)
        pickers.addWidget(self.mode_button)
        layout.addLayout(pickers)

        self.stack = QStackedWidget()
        side = QWidget()
        side_layout = QHBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.left_caption = QLabel()
        self.right_caption = QLabel()
        self.left_viewer = PhotoViewer()
        self.right_viewer = PhotoViewer()
        for caption, viewer, name in (
            (self.left_caption, self.left_viewer, "left"),
            (self.right_caption, self.right_viewer, "right"),
        ):
            caption.setObjectName(f"compare_{name}_caption")
            caption.setTextFormat(Qt.TextFormat.PlainText)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setStyleSheet("font-weight: bold;")
            viewer.setObjectName(f"compare_{name}_viewer")
            column = QVBoxLayout()
            column.addWidget(caption)
            column.addWidget(viewer, 1)
            side_layout.addLayout(column, 1)
        self.stack.addWidget(side)
        wipe_page = QWidget()
        wipe_layout = QVBoxLayout(wipe_page)
        wipe_layout.setContentsMargins(0, 0, 0, 0)
        self.wipe = WipeView()
        wipe_layout.addWidget(self.wipe, 1)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("wipe_slider")
        self.slider.setRange(0, 1000)
        self.slider.setValue(500)
        self.slider.setToolTip("Drag to wipe between the two photos")
        self.slider.valueChanged.connect(self.wipe.set_position)
        wipe_layout.addWidget(self.slider)
        self.stack.addWidget(wipe_page)
        layout.addWidget(self.stack, 1)
        hint = QLabel("Wheel or Ctrl+= / Ctrl+- to zoom, Ctrl+0 to fit, drag to pan.")
        hint.setStyleSheet("color: #52606d;")
        layout.addWidget(hint)

        for source, other in (
            (self.left_viewer, self.right_viewer),
            (self.right_viewer, self.left_viewer),
        ):
            source.zoomed.connect(self._make_sync(source, other))
            source.horizontalScrollBar().valueChanged.connect(
                self._make_scroll_sync(other, horizontal=True)
            )
            source.verticalScrollBar().valueChanged.connect(
                self._make_scroll_sync(other, horizontal=False)
            )
        add_zoom_shortcuts(self, self.left_viewer)
        self.left_box.currentIndexChanged.connect(self._pick_changed)
        self.right_box.currentIndexChanged.connect(self._pick_changed)
        self.resize(1100, 700)
        self._pick_changed(0)

    def _picker(self, name: str, chosen: Photo) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        for photo in self.photos:
            box.addItem(f"{photo_caption(photo)} — {photo.original_name}", photo.id)
        box.setCurrentIndex(max(box.findData(chosen.id), 0))
        return box

    def _image(self, photo_id: str) -> QImage:
        if photo_id not in self._images:
            self._images[photo_id] = load_image(self.service, self.user, photo_id)
        return self._images[photo_id]

    def _photo(self, box: QComboBox) -> Photo:
        return self.photos[max(box.currentIndex(), 0)]

    def _pick_changed(self, _index: int) -> None:
        try:
            left, right = self._photo(self.left_box), self._photo(self.right_box)
            left_image, right_image = self._image(left.id), self._image(right.id)
        except UserError as exc:
            show_user_error(self, exc)
            return
        self.left_caption.setText(photo_caption(left))
        self.right_caption.setText(photo_caption(right))
        self.left_viewer.set_image(left_image)
        self.right_viewer.set_image(right_image)
        self.wipe.set_images(left_image, photo_caption(left), right_image, photo_caption(right))

    def _mode_toggled(self, wipe: bool) -> None:
        self.stack.setCurrentIndex(1 if wipe else 0)

    def _make_sync(self, source: PhotoViewer, other: PhotoViewer) -> Callable[[], None]:
        def sync() -> None:
            if self._syncing:
                return
            self._syncing = True
            try:
                other.setTransform(QTransform(source.transform()))
                other.fitted = source.fitted
                other.horizontalScrollBar().setValue(source.horizontalScrollBar().value())
                other.verticalScrollBar().setValue(source.verticalScrollBar().value())
            finally:
                self._syncing = False

        return sync

    def _make_scroll_sync(self, other: PhotoViewer, *, horizontal: bool) -> Callable[[int], None]:
        bar = other.horizontalScrollBar() if horizontal else other.verticalScrollBar()

        def sync(value: int) -> None:
            if self._syncing:
                return
            self._syncing = True
            try:
                with QSignalBlocker(bar):
                    bar.setValue(value)
            finally:
                self._syncing = False

        return sync
