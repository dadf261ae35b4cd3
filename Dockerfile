# billing-sync's image: the wheel and exactly the versions in requirements.lock, run by
# a user without privileges. The entry point is the command line, so the command says
# what the container is:
#   docker run IMAGE                                    the API (serve)
#   docker run IMAGE worker                             a job worker (needs REDIS_URL)
#   docker run IMAGE keys create --environment NAME     any one-off command
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# The environment carries no installer of its own: the build stage's pip fills it.
RUN python -m venv --without-pip /opt/billing-sync
# Dependencies before the code, so a change to the code reuses this layer.
COPY requirements.lock ./
RUN pip --python /opt/billing-sync/bin/python install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY examples examples
COPY app app
COPY workers workers
COPY webhooks webhooks
RUN pip wheel --no-deps --wheel-dir /dist . \
    && pip --python /opt/billing-sync/bin/python install --no-deps /dist/*.whl

FROM ${PYTHON_IMAGE}
# No installer or build tool in the running image: the service needs neither. /srv/var
# holds the default SQLite database; a volume mounted there keeps the user's ownership.
RUN pip uninstall --yes --quiet --root-user-action=ignore pip setuptools wheel \
    && useradd --system --user-group --uid 10001 --home-dir /srv --no-create-home billing-sync \
    && mkdir /srv/var && chown billing-sync:billing-sync /srv /srv/var
COPY --from=build /opt/billing-sync /opt/billing-sync
ENV PATH=/opt/billing-sync/bin:$PATH PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000
USER billing-sync
WORKDIR /srv
EXPOSE 8000
# /readyz: 200 only while the database and the broker answer. Containers that serve
# nothing (worker, one-off commands) turn it off.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4)"
ENTRYPOINT ["billing-sync"]
CMD ["serve"]
