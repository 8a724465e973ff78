FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app

# Dependencies first, as pyproject.toml lists them, so a change of code reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The application runs from /app: every app, templates, static sources, manage.py
# (.dockerignore keeps out tests, local data and secrets).
COPY . .
# Content-hashed, compressed copies for WhiteNoise to serve. DEBUG=true only because no
# SECRET_KEY exists at build time; the files are the same either way.
RUN DEBUG=true python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 pars && mkdir -p /app/var/media && chown -R pars /app/var
USER pars
EXPOSE 8000
# Workers are replaced after about 1,000 requests (jittered so they don't all restart at once):
# memory a large upload took is given back.
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--max-requests", "1000", "--max-requests-jitter", "100", "--access-logfile", "-"]
