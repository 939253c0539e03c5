"""``python -m symconv`` runs the command line."""

import sys

from symconv.cli import main

sys.exit(main())
