"""A backup run in a child process, to be killed: ``python -m tests.reliability.backup_child
DATA_DIR DEST_DIR FRACTION``. Prints ``at`` and waits once the backup's progress reaches
FRACTION of its total (the first half writes the archive, the second reads it back to verify
it), so the test kills it at that point. The data key comes in ``CLINICDESK_TEST_DATA_KEY``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from clinicdesk.paths import Paths
from clinicdesk.services.backup import make_backup
from clinicdesk.services.context import open_clinic
from clinicdesk.storage.keys import KeyRing


def main(data_dir: str, dest: str, fraction: float) -> None:
    paths = Paths(Path(data_dir))
    services = open_clinic(
        paths,
        data_key=bytes.fromhex(os.environ["CLINICDESK_TEST_DATA_KEY"]),
        keyring=KeyRing.load(paths.keyring),
    )

    def progress(done: int, total: int) -> None:
        if done >= total * fraction:
            print("at", flush=True)
            time.sleep(60)

    make_backup(services, services.clinic.user("admin"), Path(dest), progress=progress)
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
