import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codeahead.settings")
# Web workers never wait on one query for more than 10 s (see DB_STATEMENT_TIMEOUT_MS).
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "10000")

application = get_wsgi_application()
