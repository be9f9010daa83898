"""The PySide6 front end. Qt is imported only here and in ``app``."""
