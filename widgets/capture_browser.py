"""The captures dock: every open capture as a thumbnail with camera, ISO, exposure and white point.

Selecting one makes it current; the tuning stays as it is (the profile is resolved anew for the
capture's own colour temperature and gain). Thumbnails are rendered by the worker, with the
tuning of the moment they were asked for.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.analysis import capture_summary
from widgets.render_worker import ThumbJob

THUMB = QSize(96, 64)


def _qimage(rgb) -> QImage:
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888).copy()


class CaptureBrowser(QWidget):
    def __init__(self, session, worker, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.worker = worker
        self.list = QListWidget()
        self.list.setObjectName("captureList")
        self.list.setIconSize(THUMB)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setSpacing(2)
        self.list.setWordWrap(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self._tokens: list[int] = []
        self.list.currentRowChanged.connect(self._row_changed)
        session.capturesChanged.connect(self._rebuild)
        session.captureChanged.connect(self._select_current)
        worker.thumbnailReady.connect(self._thumbnail)
        self._rebuild()

    def _rebuild(self) -> None:
        known = {tok: self.list.item(i).icon() for i, tok in enumerate(self._tokens)}
        self.list.blockSignals(True)
        self.list.clear()
        self._tokens = []
        for capture in self.session.captures:
            s = capture_summary(capture)
            second = " \u00b7 ".join(p for p in (s["camera"], s["size"]) if p)
            third = " \u00b7 ".join(p for p in (s["iso"], s["exposure"], s["wb"]) if p)
            item = QListWidgetItem("\n".join(p for p in (s["name"], second, third) if p))
            item.setToolTip(f"{capture.source or s['name']}\n{s['format']} \u00b7 {s['sensor']}")
            item.setSizeHint(QSize(THUMB.width() + 8, THUMB.height() + 10))
            if capture.token in known:
                item.setIcon(known[capture.token])
            else:
                placeholder = QPixmap(THUMB)
                placeholder.fill(Qt.GlobalColor.darkGray)
                item.setIcon(QIcon(placeholder))
                self.worker.submit(ThumbJob(capture, self.session.profile, THUMB.width(), THUMB.height()))
            self.list.addItem(item)
            self._tokens.append(capture.token)
        self.list.blockSignals(False)
        self._select_current()

    def _select_current(self) -> None:
        if self.list.currentRow() != self.session.current_index:
            self.list.blockSignals(True)
            self.list.setCurrentRow(self.session.current_index)
            self.list.blockSignals(False)

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.session.select_capture(row)

    def _thumbnail(self, capture, image) -> None:
        if capture.token in self._tokens:
            item = self.list.item(self._tokens.index(capture.token))
            item.setIcon(QIcon(QPixmap.fromImage(_qimage(image))))
