# TOS server image: the same code for web (daphne), worker and beat (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=tos.settings.prod TOS_VAR_DIR=/app/var
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs the production settings' required variables; they are placeholders here.
RUN DJANGO_SECRET_KEY=build DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --noinput -v 0
RUN useradd --system --home /app tos && mkdir -p /app/var && chown -R tos /app/var
USER tos
EXPOSE 8000
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "tos.asgi:application"]
