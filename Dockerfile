# The prediction service (`kedro serve`) in a container: dependencies from uv.lock, no dev
# tools, a non-root user. A training run's outputs are mounted at /app/data (read-only):
#
#   docker build -t roadmap-pipelines-serve .
#   docker run --rm -p 8000:8000 -v "$PWD/data:/app/data:ro" roadmap-pipelines-serve
#
# The service refuses to start if a mounted model.pkl is not the file its training run hashed.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    KEDRO_DISABLE_TELEMETRY=true \
    OMP_WAIT_POLICY=passive

RUN pip install --no-cache-dir uv==0.13.8

WORKDIR /app
# Dependencies first (a layer that changes only with the lock file), then the project.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY src ./src
COPY conf/base ./conf/base
COPY conf/logging.yml ./conf/logging.yml
COPY .telemetry ./
RUN uv sync --locked --no-dev --no-editable \
    && useradd --create-home --uid 10001 serve \
    && mkdir -p conf/local data \
    && chown -R serve conf/local

USER serve
ENV PATH=/app/.venv/bin:$PATH HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/health')"]
CMD ["kedro", "serve"]
