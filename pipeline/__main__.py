"""``python -m pipeline`` and the ``storywire`` command.

The command's script is also what every extraction worker runs first: ``spawn`` re-imports a parent's
script as ``__mp_main__`` (though not ``python -m``'s ``__main__``), and ``pipeline.cli`` brings Beam with
it, about 1.9 s of CPU and 230 MB per worker before it extracts anything. So the script's module imports
nothing, and the command line loads when the command runs.
"""
import sys


def main() -> int:
    from pipeline.cli import main as run_command  # see the module's docstring: not at import time
    return run_command()


if __name__ == "__main__":
    sys.exit(main())
