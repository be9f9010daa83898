import sys

try:
    from clinicdesk.app import main
except ImportError as exc:  # a broken installation (a frozen build missing a library)
    if sys.stderr is not None:  # a windowed program on Windows has none
        from clinicdesk.errors import missing_library

        print(f"clinicdesk: cannot start: {missing_library(exc)}", file=sys.stderr)
    sys.exit(1)

sys.exit(main())
