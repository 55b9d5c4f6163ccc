import sys

from scipar.cli import main

sys.exit(main())
