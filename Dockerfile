# NELLM images. `web` serves the site with daphne; `worker` adds the ML stack (CUDA torch from
# PyPI, transformers, peft, bitsandbytes) and holds the model for the generation queue.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 fonts-nanum \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt
COPY . .
RUN useradd --create-home --uid 1000 nellm && mkdir -p /app/media /app/staticfiles /app/exports \
    && chown -R nellm:nellm /app/media /app/staticfiles /app/exports && chmod 700 /app/exports

FROM base AS web
# Static files are collected at build time and served by whitenoise (no CDN).
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
USER nellm
EXPOSE 8000
# No --proxy-headers: it believes X-Forwarded-For from anyone. The app believes it only from
# NELLM_TRUSTED_PROXIES (nellm_site/proxy.py).
CMD ["sh", "-c", "python manage.py migrate --noinput && daphne -b 0.0.0.0 -p 8000 nellm_site.asgi:application"]

FROM base AS worker
# On a GPU host PyPI's default torch wheel is the CUDA build; the rest of ml.txt reuses it.
COPY requirements/ml.txt requirements/ml.txt
RUN pip install -r requirements/ml.txt
USER nellm
CMD ["celery", "-A", "nellm_site", "worker", "-Q", "generation,celery", "-P", "solo", "--loglevel", "INFO"]
