"""Flex template entry point: the template's parameters are `storywire run` options."""
import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
