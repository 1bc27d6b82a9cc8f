"""``python -m kl_cli``: the same program as the ``kl-cli`` command."""

from .cli import run

if __name__ == "__main__":
    run()
