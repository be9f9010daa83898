import sys

try:
    from clinicdesk.app import main
except ImportError as exc:  # a broken installation (a frozen build missing a library)
    if sys.stderr is not None:  # a windowed program on Windows has none
        print(f"clinicdesk: cannot start: a library is missing: {exc}", file=sys.stderr)
    sys.exit(1)

sys.exit(main())
