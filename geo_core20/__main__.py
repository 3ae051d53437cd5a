"""`python -m geo_core20 ...`"""

import sys

from geo_core20.cli import main

sys.exit(main())
