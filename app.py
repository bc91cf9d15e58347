"""Development entry point: ``flask --app app ...``."""

from jomres_like import create_app

app = create_app()
