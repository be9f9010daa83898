import sys

from clinicdesk.app import main

sys.exit(main())
