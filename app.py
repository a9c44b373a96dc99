"""Entry point: `flask --app app run`, `gunicorn app:app`, `flask --app app data ...`."""
from geo_app import create_app

app = create_app()
