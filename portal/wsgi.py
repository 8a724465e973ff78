"""WSGI entry point for gunicorn."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def chunked_service_bodies(app: WsgiApp, *, limit: Callable[[], int]) -> WsgiApp:
    """Web-service calls sent in chunks reach Django with their body and its length.

    Django reads a body by its Content-Length, which a chunked request has none of: the body
    would arrive empty. gunicorn has already decoded the chunks (it says so with
    `wsgi.input_terminated`), so such a body is read here, up to one byte over the services'
    limit (the view answers 413 beyond it), and handed on with its length. PARS's own servers
    take chunked calls; an LMS streaming its requests works here too.
    """

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _chunked_service_call(environ):
            body = environ["wsgi.input"].read(limit() + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return application


def _chunked_service_call(environ: dict[str, Any]) -> bool:
    return (
        environ.get("PATH_INFO", "").startswith("/services/")
        and not environ.get("CONTENT_LENGTH")
        and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        and bool(environ.get("wsgi.input_terminated"))
    )


def _service_body_limit() -> int:
    from webservices.envelopes import max_body_bytes  # after Django is set up

    return max_body_bytes()


application = chunked_service_bodies(get_wsgi_application(), limit=_service_body_limit)
