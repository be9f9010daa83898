"""Photos: the tab (``gallery``), importing (``importing``), the thumbnail grid (``grid``),
a photo's details (``details``) and the viewer with side-by-side compare (``compare``).

May import: ``clinicdesk.ui.widgets``, services, domain; not the shell or another feature.

Tests: tests/ui/photos/ (``tests/ui/gallery_setup.py`` builds their clinic).
"""
