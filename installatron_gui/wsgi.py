import os

from django.core.wsgi import get_wsgi_application

from installatron_gui.lib.private import lock_down

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "installatron_gui.settings")
lock_down()  # before anything is written: our files are private (lib/private.py)


def behind_prefix(app):
    """Serve under ``INSTALLATRON_URL_PREFIX`` (FORCE_SCRIPT_NAME) whether or not the proxy
    strips it: a path that still starts with the prefix loses it here, so routes match
    either way (gunicorn strips it itself when its SCRIPT_NAME is set)."""
    from django.conf import settings

    def wrapped(environ, start_response):
        prefix = (settings.FORCE_SCRIPT_NAME or "").rstrip("/")
        path = environ.get("PATH_INFO", "")
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            environ["PATH_INFO"] = path[len(prefix):] or "/"
        return app(environ, start_response)

    return wrapped


application = behind_prefix(get_wsgi_application())
