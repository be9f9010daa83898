"""The start-up check deferred to a worker (the GUI's sign-in): writes wait for it, reads do
not, and nothing audited meanwhile is lost. RELIABILITY row 3's damaged files are in
tests/reliability/test_corruption.py."""

from __future__ import annotations

import threading

import pytest

from clinicdesk.errors import UserError
from clinicdesk.services.context import SignedIn, open_clinic, unlock_clinic
from clinicdesk.storage import audit
from tests.conftest import PASSWORD, VALID_PATIENT, Clinic


def signed_in_with_check_deferred(clinic: Clinic) -> SignedIn:
    clinic.services.close()
    return unlock_clinic(clinic.paths, "admin", PASSWORD, defer_check=True)


def test_writes_are_refused_while_the_check_runs_and_allowed_once_it_passes(
    clinic: Clinic,
) -> None:
    signed = signed_in_with_check_deferred(clinic)
    services = signed.services
    try:
        check = services.start_up_check
        assert check is not None and services.checking
        assert services.read_only is None  # no banner: it is only for a moment
        with pytest.raises(UserError, match=r"still being checked.*Try again in a moment"):
            services.patients.register(signed.user, VALID_PATIENT)
        assert services.patients.count(signed.user) == 0

        assert check.finish(check.run()) == []
        assert not services.checking and services.read_only is None
        patient = services.patients.register(signed.user, VALID_PATIENT)
        assert services.patients.count(signed.user) == 1
        assert patient.id
    finally:
        services.close()


def test_what_is_read_while_the_check_runs_is_audited_once_it_passes(clinic: Clinic) -> None:
    patient = clinic.services.patients.register(clinic.admin, VALID_PATIENT)
    signed = signed_in_with_check_deferred(clinic)
    services = signed.services
    try:
        services.patients.record(signed.user, patient.id)  # a view, while writes are held
        assert audit.pending(services.db) == 2  # the sign-in and the view wait in memory
        check = services.start_up_check
        assert check is not None
        check.finish(check.run())
        assert audit.pending(services.db) == 0
        views = audit.entries(services.db, entity="patient", entity_id=patient.id, action="view")
        assert len(views) == 1
        assert [e.action for e in audit.entries(services.db, action="login")][-1:] == ["login"]
    finally:
        services.close()


def test_the_command_line_and_other_callers_still_check_before_opening(clinic: Clinic) -> None:
    services = open_clinic(clinic.paths, data_key=clinic.key)
    try:
        assert services.start_up_check is None and not services.checking
    finally:
        services.close()


def test_closing_the_clinic_stops_a_check_under_way(clinic: Clinic) -> None:
    signed = signed_in_with_check_deferred(clinic)
    services = signed.services
    check = services.start_up_check
    assert check is not None
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(check.run()))
    worker.start()
    services.close()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert check.finish([]) == []  # cancelled: nothing applied to the closed connection
    assert check.cancelled


def test_check_now_finishes_the_check_before_a_write_that_cannot_wait(clinic: Clinic) -> None:
    signed = signed_in_with_check_deferred(clinic)
    services = signed.services
    try:
        assert services.check_now() == []
        assert not services.checking
        services.clinic.set_idle_lock_minutes(signed.user, 7)
        assert services.clinic.idle_lock_minutes() == 7
    finally:
        services.close()


def test_a_background_job_checks_the_file_only_while_the_sessions_check_has_not_passed(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A job (photo import, a document) opens its own connection: re-checking a file this
    # session has already checked would cost a second or more per job on a large clinic.
    import clinicdesk.services.context as context

    checks: list[object] = []
    real_check = context.check_db

    def counting_check(db: object, path: object) -> list[str]:
        checks.append(path)
        return real_check(db, path)  # type: ignore[arg-type]

    monkeypatch.setattr(context, "check_db", counting_check)
    signed = signed_in_with_check_deferred(clinic)
    services = signed.services
    try:
        job = services.open_for_job()  # the session's check still runs: the job checks
        job.close()
        assert len(checks) == 1
        check = services.start_up_check
        assert check is not None
        assert check.finish(check.run()) == []
        job = services.open_for_job()  # passed: trusted, and the job can write
        try:
            assert len(checks) == 1
            assert job.read_only is None
            job.patients.register(signed.user, VALID_PATIENT)
        finally:
            job.close()
        assert services.patients.count(signed.user) == 1
    finally:
        services.close()
