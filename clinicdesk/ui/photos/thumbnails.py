"""Thumbnails for the Photos tab's grid, decoded off the GUI thread.

``ThumbnailLoader``'s workers read the sealed thumbnail through a ``ThumbnailReader`` (no
database connection is needed: the permission was checked when the reader was made), decode
it into a ``QImage`` scaled to the icon size, and hand it back by a queued signal, with why
when the photo cannot be shown (``Unreadable``: its file missing or damaged). The GUI thread
turns it into a pixmap in a bounded LRU cache (``ThumbnailCache``). Requests wait in a short
queue (the oldest are dropped when the user scrolls past many photos quickly: they are asked
for again if painted again), and each patient change starts a new generation, so a result
that arrives late for the previous patient is ignored.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from clinicdesk.domain.photos import Photo
from clinicdesk.errors import UserError
from clinicdesk.services.photos import ThumbnailReader, why_unreadable

log = logging.getLogger(__name__)

ICON_SIZE = 150
CACHE_SIZE = 200  # decoded thumbnails kept: at most 150x150x4 bytes each, about 18 MB in all
QUEUE_SIZE = 96  # thumbnail requests waiting; more than a screenful of the largest window
WORKERS = 2


# -- the cache ------------------------------------------------------------------------------


class ThumbnailCache:
    """Least recently used pixmaps, at most ``capacity`` of them. A null pixmap stands for a
    thumbnail that could not be read (so it is not asked for again and again)."""

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


# -- decoding on workers --------------------------------------------------------------------

_Request = tuple[int, ThumbnailReader, Photo]  # (generation, reader, photo)


class _Queue:
    """Requests shared by the GUI thread (which adds) and the workers (which take)."""

    def __init__(self, workers: int) -> None:
        self.lock = threading.Lock()
        self.items: deque[_Request] = deque()
        self.active = 0  # workers running
        self.workers = workers

    def push(self, request: _Request) -> tuple[bool, list[_Request]]:
        """Add a request; say whether a new worker is wanted, and which old requests were
        dropped to keep the queue short."""
        with self.lock:
            self.items.append(request)
            dropped = []
            while len(self.items) > QUEUE_SIZE:
                dropped.append(self.items.popleft())
            start = self.active < self.workers
            if start:
                self.active += 1
            return start, dropped

    def pop(self) -> _Request | None:
        """The next request, or None: then the calling worker is done (counted under the same
        lock, so a request pushed meanwhile starts a new worker)."""
        with self.lock:
            if self.items:
                return self.items.popleft()
            self.active -= 1
            return None

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


class _LoaderSignals(QObject):
    # generation, photo id, QImage (null if unreadable), Unreadable (None if it is not)
    decoded = Signal(int, str, object, object)


@dataclass(frozen=True)
class Unreadable:
    """Why a photo cannot be shown: ``label`` in its place ("File missing", "File damaged"),
    ``message`` (what happened and what to do) in its tooltip."""

    label: str
    message: str


CANNOT_DECODE = Unreadable("Cannot be shown", "This thumbnail could not be made.")


def decode_thumbnail(
    reader: ThumbnailReader, photo: Photo, size: int
) -> tuple[QImage, Unreadable | None]:
    """Read and decode one thumbnail, scaled to fit ``size``; a null image and why when the
    photo cannot be shown (its file missing or damaged). Runs on a worker: QImage, unlike
    QPixmap, may be made off the GUI thread."""
    try:
        image = QImage.fromData(reader.read(photo))
    except UserError as exc:
        return QImage(), Unreadable(why_unreadable(exc), exc.message)
    except Exception:  # a bug must not kill the worker; the photo shows as unreadable
        log.exception("decoding a thumbnail failed")
        return QImage(), CANNOT_DECODE
    if image.isNull():
        return image, CANNOT_DECODE
    if not image.isNull() and (image.width() > size or image.height() > size):
        image = image.scaled(
            size,
            size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image, None


class _DecodeJob(QRunnable):
    def __init__(self, queue: _Queue, signals: _LoaderSignals, size: int) -> None:
        super().__init__()
        self.queue = queue
        self.signals = signals
        self.size = size
        self.done = False

    def run(self) -> None:
        try:
            while (request := self.queue.pop()) is not None:
                generation, reader, photo = request
                image, reason = decode_thumbnail(reader, photo, self.size)
                self.signals.decoded.emit(generation, photo.id, image, reason)
        finally:
            self.done = True


class ThumbnailLoader(QObject):
    """Decodes thumbnails on its own small thread pool; ``loaded`` brings each one to the GUI
    thread. ``set_reader`` starts a new generation (another patient, or none): requests not
    yet started are dropped and results of the old generation that still arrive are ignored.
    The pool is a child of the loader, so destroying the loader waits for the workers."""

    # photo id, QImage (null if it could not be read), Unreadable (None when it could)
    loaded = Signal(str, object, object)

    def __init__(self, parent: QObject, size: int = ICON_SIZE, workers: int = WORKERS) -> None:
        super().__init__(parent)
        self.size = size
        self.reader: ThumbnailReader | None = None
        self.generation = 0
        self._pending: set[str] = set()  # asked for and not delivered yet (GUI thread only)
        self._queue = _Queue(workers)
        self._jobs: list[_DecodeJob] = []  # kept so Python does not collect a running job
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(workers)
        self._signals = _LoaderSignals()
        self._signals.decoded.connect(self._decoded)

    def set_reader(self, reader: ThumbnailReader | None) -> None:
        self.generation += 1
        self.reader = reader
        self._queue.clear()
        self._pending.clear()

    def request(self, photo: Photo) -> None:
        """Decode ``photo``'s thumbnail unless it is already on its way."""
        if self.reader is None or photo.id in self._pending:
            return
        self._pending.add(photo.id)
        start, dropped = self._queue.push((self.generation, self.reader, photo))
        for _generation, _reader, old in dropped:
            self._pending.discard(old.id)
        if start:
            self._jobs = [job for job in self._jobs if not job.done]
            job = _DecodeJob(self._queue, self._signals, self.size)
            job.setAutoDelete(False)
            self._jobs.append(job)
            self._pool.start(job)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def wait_for_done(self, msecs: int = 10_000) -> bool:
        """Wait for the workers (tests, and closing); results still arrive as queued signals."""
        return self._pool.waitForDone(msecs)

    def _decoded(self, generation: int, photo_id: str, image: object, reason: object) -> None:
        if generation != self.generation:
            return  # for a patient no longer shown
        self._pending.discard(photo_id)
        self.loaded.emit(photo_id, image, reason)
