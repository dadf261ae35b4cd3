FROM python:3.11-slim
WORKDIR /srv
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY workers workers
COPY webhooks webhooks
COPY alembic alembic
COPY examples examples
RUN pip install --no-cache-dir .
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
CMD ["billing-sync", "serve"]
