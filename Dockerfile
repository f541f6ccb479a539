# Production image for the API and the worker (same image, different command).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .  && useradd --system erp
USER erp
ENV STORAGE_DIR=/data/storage DATA_DIR=/data
EXPOSE 8000
CMD ["erp", "api", "--host", "0.0.0.0", "--workers", "2"]
