#!/usr/bin/env python3
"""Build the site: ``python build.py [build|digest|send] [options]`` is ``paperwire …``."""

import sys

from paperwire.cli import main

if __name__ == "__main__":
    sys.exit(main())
