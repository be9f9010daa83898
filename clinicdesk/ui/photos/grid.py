"""The Photos tab's grid: visit headings with each visit's thumbnails under them, in one list.

``GalleryModel`` is a flat list model whose rows are either a visit heading or a photo. The
view (``GalleryView``, a wrapping left-to-right ``QListView``) lays the rows out in reading
order; the delegate makes a heading as wide as the viewport, so it starts a line of its own
and the visit's thumbnails wrap beneath it. Headings are neither enabled nor selectable, so
the arrow keys step from photo to photo across visits (QListView skips disabled rows) and
Enter activates only photos; Home, End and the page keys are taught the same.

Thumbnails are decoded off the GUI thread (``thumbnails``): the model asks the loader for a
thumbnail only when the delegate paints that photo (only visible rows are painted) and paints
a placeholder meanwhile; a photo that cannot be shown gets a placeholder saying why ("File
missing", "File damaged"), with the whole message in its tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.photos import Photo, PhotoVisit, View, view_caption
from clinicdesk.ui.photos.thumbnails import (
    CANNOT_DECODE,
    ICON_SIZE,
    ThumbnailCache,
    ThumbnailLoader,
    Unreadable,
)

AnyIndex = QModelIndex | QPersistentModelIndex
SPACING = 6
# Each photo's box is 4:3, as a clinic camera's landscape photo (a portrait one is drawn
# smaller in it, rather than every row being as tall as a portrait photo).
BOX = QSize(ICON_SIZE, ICON_SIZE * 3 // 4)
CELL = QSize(ICON_SIZE + 16, BOX.height() + 46)  # the box, two caption lines, padding
PHOTO_ID_ROLE = Qt.ItemDataRole.UserRole
IS_HEADING_ROLE = Qt.ItemDataRole.UserRole + 1
CHECKLIST_ROLE = Qt.ItemDataRole.UserRole + 2
COUNT_ROLE = Qt.ItemDataRole.UserRole + 3
MISSING_ROLE = Qt.ItemDataRole.UserRole + 4
TAKEN_ROLE = Qt.ItemDataRole.UserRole + 5
UNREADABLE_ROLE = Qt.ItemDataRole.UserRole + 6  # why a photo cannot be shown, or None

PLACEHOLDER = QColor("#d9e2ec")
HEADING_BACKGROUND = QColor("#e8eef4")
MISSING_COLOUR = QColor("#8a4b00")
COMPLETE_COLOUR = QColor("#2e6b34")
MUTED_COLOUR = QColor("#52606d")


def checklist_text(missing: Sequence[View]) -> str:
    if not missing:
        return "All standard views present"
    return "Missing: " + ", ".join(view.label.lower() for view in missing)


def photo_count_text(count: int) -> str:
    return f"{count} photo{'s' if count != 1 else ''}"


# -- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitHeading:
    """A visit's heading row: its date and kind, its checklist, and how many of its photos
    the view filter lets through."""

    visit: PhotoVisit
    shown: int
    filtered: bool  # a view filter is on

    @property
    def title(self) -> str:
        return f"{format_uk(self.visit.visit_date)} · {self.visit.label}"

    @property
    def count_text(self) -> str:
        total = self.visit.photo_count
        if self.filtered and self.shown != total:
            return f"{self.shown} of {photo_count_text(total)} shown"
        return photo_count_text(total)

    @property
    def checklist(self) -> str:
        return checklist_text(self.visit.missing)


Row = VisitHeading | Photo


class GalleryModel(QAbstractListModel):
    """Headings and photos in one list; see the module docstring."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject) -> None:
        super().__init__(parent)
        self.loader = loader
        self.rows: list[Row] = []
        self.photos: list[Photo] = []  # the photos shown, in row order
        self._row_of: dict[str, int] = {}
        self.cache = ThumbnailCache()
        # Photos whose thumbnail could not be made, and why.
        self.unreadable: dict[str, Unreadable] = {}
        self.decoded = 0  # thumbnails delivered by the workers so far (tests check laziness)
        loader.loaded.connect(self._thumbnail_loaded)

    def set_groups(self, groups: Sequence[tuple[VisitHeading, Sequence[Photo]]]) -> None:
        """Each visit's heading followed by its photos, in the order given."""
        self.beginResetModel()
        self.rows = []
        for heading, photos in groups:
            self.rows.append(heading)
            self.rows.extend(photos)
        self.photos = [row for row in self.rows if isinstance(row, Photo)]
        self._row_of = {row.id: n for n, row in enumerate(self.rows) if isinstance(row, Photo)}
        self.endResetModel()

    def clear_thumbnails(self) -> None:
        self.cache.clear()
        self.unreadable.clear()

    def row_at(self, row: int) -> Row | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def photo_at(self, row: int) -> Photo | None:
        found = self.row_at(row)
        return found if isinstance(found, Photo) else None

    def index_of(self, photo_id: str) -> QModelIndex:
        row = self._row_of.get(photo_id)
        return self.index(row, 0) if row is not None else QModelIndex()

    def headings(self) -> list[VisitHeading]:
        return [row for row in self.rows if isinstance(row, VisitHeading)]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if isinstance(self.row_at(index.row()), Photo) and index.isValid():
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return Qt.ItemFlag.NoItemFlags  # headings: skipped by the keys, never selected

    def thumbnail(self, photo: Photo) -> QPixmap | None:
        """The cached thumbnail, or None (and a request to the workers) while it is decoded."""
        pixmap = self.cache.get(photo.id)
        if pixmap is None:
            self.loader.request(photo)
        return pixmap

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self.row_at(index.row()) if index.isValid() else None
        if isinstance(row, VisitHeading):
            return self._heading_data(row, role)
        if isinstance(row, Photo):
            return self._photo_data(row, role)
        return None

    def _heading_data(self, heading: VisitHeading, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return heading.title
        if role == IS_HEADING_ROLE:
            return True
        if role in (CHECKLIST_ROLE, Qt.ItemDataRole.ToolTipRole):
            return heading.checklist
        if role == COUNT_ROLE:
            return heading.count_text
        if role == MISSING_ROLE:
            return bool(heading.visit.missing)
        return None

    def _photo_data(self, photo: Photo, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return view_caption(photo.view, photo.region)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(photo)
        if role == TAKEN_ROLE:
            return f"{photo.taken_at:%d/%m/%Y %H:%M}"
        reason = self.unreadable.get(photo.id)
        if role == UNREADABLE_ROLE:
            return reason.label if reason else None
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = (
                f"{photo.original_name}\n{view_caption(photo.view, photo.region)}, visit of "
                f"{format_uk(photo.visit_date)}\nTaken {photo.taken_at:%d/%m/%Y %H:%M}"
            )
            return f"{tip}\n\n{reason.label}: {reason.message}" if reason else tip
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = f"{view_caption(photo.view, photo.region)}, {photo.original_name}"
            return f"{text}: {reason.label}" if reason else text
        if role == PHOTO_ID_ROLE:
            return photo.id
        if role == IS_HEADING_ROLE:
            return False
        return None

    def _thumbnail_loaded(self, photo_id: str, image: object, reason: object) -> None:
        assert isinstance(image, QImage)
        self.decoded += 1
        if isinstance(reason, Unreadable):
            self.unreadable[photo_id] = reason
        else:
            self.unreadable.pop(photo_id, None)
        self.cache.put(photo_id, QPixmap.fromImage(image) if not image.isNull() else QPixmap())
        index = self.index_of(photo_id)
        if index.isValid():
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


# -- the view -------------------------------------------------------------------------------


def is_heading(index: AnyIndex) -> bool:
    return bool(index.data(IS_HEADING_ROLE))


def placeholder_text(index: AnyIndex) -> str:
    """What a photo that cannot be shown says in its place: why, in a few words ("File
    missing", "File damaged"); its tooltip has the whole message, with what to do."""
    return str(index.data(UNREADABLE_ROLE) or CANNOT_DECODE.label)


class GalleryDelegate(QStyledItemDelegate):
    """Paints a heading as a band across the view, a photo as its thumbnail (or a
    placeholder) above its view and capture time."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self.view = view

    def heading_height(self) -> int:
        line = self.view.fontMetrics().height()
        return 2 * line + 22

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        if is_heading(index):
            # The whole width (less the spacing either side), so it has a line of its own.
            width = self.view.viewport().width() - 2 * self.view.spacing() - 1
            return QSize(max(width, CELL.width()), self.heading_height())
        return QSize(CELL)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if is_heading(index):
            self._paint_heading(painter, option, index)
        else:
            self._paint_photo(painter, option, index)
        painter.restore()

    def _paint_heading(
        self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex
    ) -> None:
        rect = option.rect.adjusted(0, 6, 0, 0)  # a gap above each heading
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HEADING_BACKGROUND)
        painter.drawRoundedRect(rect, 4, 4)
        text_rect = rect.adjusted(10, 4, -10, -4)
        line = self.view.fontMetrics().height()
        bold = QFont(self.view.font())
        bold.setBold(True)
        bold.setPointSizeF(bold.pointSizeF() * 1.1)
        painter.setFont(bold)
        # The view's own palette: the option's is the disabled one (headings are not enabled).
        painter.setPen(self.view.palette().color(QPalette.ColorRole.Text))
        top = QRect(text_rect.left(), text_rect.top(), text_rect.width(), line + 4)
        painter.drawText(
            top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, str(index.data())
        )
        painter.setFont(self.view.font())
        painter.setPen(MUTED_COLOUR)
        painter.drawText(
            top,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            str(index.data(COUNT_ROLE)),
        )
        missing = bool(index.data(MISSING_ROLE))
        painter.setPen(MISSING_COLOUR if missing else COMPLETE_COLOUR)
        second = QRect(text_rect.left(), top.bottom() + 2, text_rect.width(), line)
        checklist = self.view.fontMetrics().elidedText(
            str(index.data(CHECKLIST_ROLE)), Qt.TextElideMode.ElideRight, second.width()
        )
        painter.drawText(
            second, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, checklist
        )

    def _paint_photo(
        self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex
    ) -> None:
        rect: QRect = option.rect
        state = option.state
        palette = option.palette
        selected = bool(state & QStyle.StateFlag.State_Selected)
        if selected:
            highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
            highlight.setAlpha(60)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(highlight)
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 6, 6)
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 18))
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 6, 6)
        box = QRect(
            rect.left() + (rect.width() - BOX.width()) // 2,
            rect.top() + 6,
            BOX.width(),
            BOX.height(),
        )
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            target.moveBottom(box.bottom())  # on the caption, as a file manager shows them
            painter.drawPixmap(target, pixmap)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(PLACEHOLDER)
            painter.drawRoundedRect(box, 4, 4)
            if isinstance(pixmap, QPixmap):  # decoded, but the file could not be read
                painter.setPen(MISSING_COLOUR)
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, placeholder_text(index))
        metrics = self.view.fontMetrics()
        line = metrics.height()
        text_width = rect.width() - 8
        caption = QRect(rect.left() + 4, box.bottom() + 5, text_width, line)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            caption,
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(str(index.data()), Qt.TextElideMode.ElideRight, text_width),
        )
        painter.setPen(MUTED_COLOUR)
        taken = QRect(caption.left(), caption.bottom() + 1, text_width, line)
        painter.drawText(
            taken,
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
            str(index.data(TAKEN_ROLE)),
        )


class GalleryView(QListView):
    """A wrapping grid of photos under full-width visit headings (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSpacing(SPACING)
        self.setUniformItemSizes(False)  # headings and photos differ; sizes never decode
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(24)
        self.setMouseTracking(True)
        self.setItemDelegate(GalleryDelegate(self))
        self.empty_text = ""

    def set_empty_text(self, text: str) -> None:
        """What the empty grid says (how to add photos), centred in it."""
        self.empty_text = text
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.empty_text and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(MUTED_COLOUR)
            painter.drawText(
                self.viewport().rect().adjusted(20, 20, -20, -20),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.empty_text,
            )
            painter.end()

    def scrollTo(
        self,
        index: AnyIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        """As QListView, and when the photo is in its visit's first line, its heading is
        brought into view too (moving up into a visit shows which visit it is)."""
        super().scrollTo(index, hint)
        model = self.model()
        if model is None or not index.isValid() or is_heading(index):
            return
        row = index.row()
        while row > 0 and not is_heading(model.index(row, 0)):
            row -= 1
        heading = self.visualRect(model.index(row, 0))
        item = self.visualRect(index)
        fits = item.bottom() - heading.top() < self.viewport().height()
        if heading.top() < 0 and fits and item.top() - heading.bottom() < item.height():
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + heading.top() - self.spacing())

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """As QListView, but never onto a heading: Home, End and the page keys land on the
        nearest photo (the arrows already skip the disabled heading rows)."""
        model = self.model()
        current = self.currentIndex()
        if model is None or model.rowCount() == 0:
            return QModelIndex()
        if not current.isValid():
            return _photo_from(model, 0, 1)
        target = super().moveCursor(action, modifiers)
        if not target.isValid() or not is_heading(target):
            return target
        backwards = action in (
            QAbstractItemView.CursorAction.MoveEnd,
            QAbstractItemView.CursorAction.MoveUp,
            QAbstractItemView.CursorAction.MoveLeft,
            QAbstractItemView.CursorAction.MovePrevious,
        )
        step = -1 if backwards else 1
        found = _photo_from(model, target.row(), step)
        return found if found.isValid() else _photo_from(model, target.row(), -step)


def _photo_from(model: QAbstractItemModel, row: int, step: int) -> QModelIndex:
    """The first photo row from ``row`` on, going by ``step``."""
    while 0 <= row < model.rowCount():
        index = model.index(row, 0)
        if not is_heading(index):
            return index
        row += step
    return QModelIndex()
