"""`python -m xinyi_cli`, the same as the `xinyi` command."""

from xinyi_cli.main import app

app(prog_name="xinyi")
