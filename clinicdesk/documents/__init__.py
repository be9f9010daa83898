"""PDF documents (reportlab, no Qt, no SQL): consent forms, information sheets and progress
reports, each rendered from plain data the services gather. The same input gives the same bytes.

``layout`` holds fonts, styles and the page furniture; ``forms`` the consent and aftercare forms;
``report`` the progress report; ``templates`` the versioned wording under resources/.

May import: ``clinicdesk.domain``, ``clinicdesk.errors``, ``clinicdesk.paths`` and reportlab;
never Qt, storage or services (only this package imports reportlab).

Tests: tests/documents/.
"""
