# The portal's image: gunicorn serving Django; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/app/.venv PATH="/app/.venv/bin:$PATH"
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock ./
RUN uv venv $VIRTUAL_ENV && uv sync --locked --active --no-dev --no-install-project
COPY . .
# collectstatic needs settings, not secrets: a throwaway key for this one build step.
RUN SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --noinput \
    && python manage.py compilemessages --ignore=.venv >/dev/null \
    && useradd --system --uid 1000 portal && mkdir -p /app/media && chown portal /app/media
USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
