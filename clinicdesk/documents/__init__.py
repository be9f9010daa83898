"""PDF documents (reportlab, no Qt, no SQL): consent forms, information sheets and progress
reports, each rendered from plain data the services gather. The same input gives the same bytes."""
