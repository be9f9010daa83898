"""A job on a real CUPS queue: the manual check of printing, made repeatable.

Opt-in, because on a clinic PC it would use paper: set ``CLINICDESK_TEST_PRINTER`` to a CUPS
queue whose device is a file (``file:///...``), for example one set up as

    lpadmin -p clinicpdf -E -v file:///tmp/cups-out/job.out \\
        -m lsb/usr/cupsfilters/Generic-PDF_Printer-PDF.ppd     # or drv:///sample.drv/generic.ppd

(``FileDevice Yes`` in /etc/cups/cups-files.conf). Skipped when the variable is unset, when
CUPS or the queue is not there, or the queue does not write to a file. Every wait has a
timeout: the test never hangs on a stopped scheduler or a stuck queue.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import QApplication

from clinicdesk.ui.documents.printing import print_pdf
from tests.ui.documents.test_pdf_preview import make_pdf

QUEUE = os.environ.get("CLINICDESK_TEST_PRINTER", "")
TIMEOUT = 60.0  # seconds for the job to go through the filters


def _run(*args: str) -> str:
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout


def _device_file(queue: str) -> Path | None:
    match = re.search(r"device-uri=file://(\S+)", _run("lpoptions", "-p", queue))
    return Path(match.group(1)) if match else None


def _completed_jobs(queue: str) -> set[str]:
    return {line.split()[0] for line in _run("lpstat", "-W", "completed", "-o", queue).splitlines()}


def _pages(output: bytes) -> list[tuple[int, int]]:
    """(width, height) in points of each page the driver wrote (PDF or PostScript)."""
    start = output.find(b"%PDF")
    if start >= 0:
        reader = PdfReader(io.BytesIO(output[start:]))
        return [
            (round(float(page.mediabox.width)), round(float(page.mediabox.height)))
            for page in reader.pages
        ]
    boxes = re.findall(rb"%%PageBoundingBox: 0 0 (\d+) (\d+)", output)
    return [(int(w), int(h)) for w, h in boxes]


@pytest.mark.skipif(not QUEUE, reason="set CLINICDESK_TEST_PRINTER to a file-device CUPS queue")
def test_a_job_reaches_the_cups_queue_as_a4_pages(qapp: QApplication) -> None:
    if shutil.which("lpstat") is None:
        pytest.skip("CUPS client tools are not installed")
    if QUEUE not in QPrinterInfo.availablePrinterNames():
        pytest.skip(f"CUPS has no queue {QUEUE!r} (is cupsd running?)")
    device = _device_file(QUEUE)
    if device is None:
        pytest.skip(f"{QUEUE!r} does not print to a file")
    before = _completed_jobs(QUEUE)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPrinterName(QUEUE)
    printer.setResolution(150)
    printer.setDocName("ClinicDesk printing test")
    assert print_pdf(make_pdf(pages=2), printer) == 2

    deadline = time.monotonic() + TIMEOUT
    while not (_completed_jobs(QUEUE) - before):
        if time.monotonic() > deadline:
            pytest.fail(f"no job completed on {QUEUE} within {TIMEOUT:.0f} s (lpstat -o)")
        time.sleep(0.5)
    assert _pages(device.read_bytes()) == [(595, 842), (595, 842)]
