FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app

COPY pyproject.toml README.md ./
COPY portal ./portal
COPY activities ./activities
COPY learners ./learners
COPY uploads ./uploads
COPY webservices ./webservices
RUN pip install --no-cache-dir .

COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 pars && mkdir -p /app/var && chown -R pars /app/var
USER pars
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
