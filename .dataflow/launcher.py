"""Flex template entry point: the template's parameters are `storywire run` options."""
import sys

from pipeline.cli import main

if __name__ == "__main__":
    # A flex template launcher must not wait for the job: the job publishes its own output.
    sys.exit(main(["run", "--no_wait", *sys.argv[1:]]))
