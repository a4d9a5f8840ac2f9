# The chat server image: one uvicorn process per container; run several behind the proxy.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 chat
WORKDIR /app
COPY pyproject.toml README.md ./
COPY chatserver ./chatserver
COPY moderation ./moderation
COPY static ./static
RUN pip install .
USER chat
ENV HOST=0.0.0.0 PORT=8000 STATIC_DIR=/app/static
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["chatserver", "serve"]
