# The one image behind docker-compose.yml's migrate, web, worker and scheduler services.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TZ=UTC
WORKDIR /app
# WeasyPrint (invoice PDFs) draws with Pango and subsets fonts with HarfBuzz (devstack/pdfdeps.py).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install --no-cache-dir . && mkdir -p /tmp/prometheus
EXPOSE 8000
CMD ["gunicorn", "wsgi:create_wsgi()", "--bind", "0.0.0.0:8000", "--workers", "2", \
     "--worker-class", "gthread", "--threads", "8", "--timeout", "30", "--keep-alive", "5", \
     "--no-control-socket"]
