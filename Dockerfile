# Otklik: one image for every role (otklik run).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY collectors ./collectors
COPY handlers ./handlers
COPY storage ./storage
COPY config ./config
COPY matcher ./matcher
COPY sandbox ./sandbox
RUN pip install --no-cache-dir . && useradd --system --home /data otklik && mkdir -p /data \
    && chown otklik /data
USER otklik
WORKDIR /data
VOLUME ["/data"]
# Tokens come from the environment or an env file; the registry is mounted at /data/registry.yaml.
CMD ["otklik", "run"]
