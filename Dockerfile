# The one image behind docker-compose.yml's migrate, web, worker and scheduler services.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TZ=UTC
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && mkdir -p /tmp/prometheus
EXPOSE 8000
CMD ["gunicorn", "wsgi:create_wsgi()", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "2", \
     "--worker-class", "gthread", "--threads", "8", "--timeout", "30", "--keep-alive", "5", \
     "--no-control-socket"]
