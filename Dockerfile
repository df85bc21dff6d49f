# Airbyte source connector image: source-tiktok-organic
#
#   docker build -t source-tiktok-organic:dev .
#   docker run --rm source-tiktok-organic:dev spec
#
# Runtime dependencies come from uv.lock (hash-checked), so the image matches the lock, less
# the packages .ci/unimported-packages.txt names: airbyte-cdk requires them, the connector never
# imports them (integration_tests/test_image_contents.py proves it), and they were half the image.
# Where python:3.11-slim cannot be pulled, .ci/docker-base.sh creates a local stand-in
# and .ci/build-image.sh builds this file on top of it.

# ---------------------------------------------------------------------------------------
# builder: resolve the locked runtime requirements and install them + the connector
# into /install (a prefix copied as-is into /usr/local of the final image).
# ---------------------------------------------------------------------------------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /build

RUN pip install --no-cache-dir "uv==0.13.9"

# Dependencies first: this layer is reused until the lock or the list of unimported packages
# change. --no-deps: the pruned set is complete for what the connector imports, and pip would
# otherwise bring the pruned packages back as airbyte-cdk's requirements.
COPY pyproject.toml uv.lock .ci/prune_requirements.py .ci/unimported-packages.txt ./
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt > locked.txt \
 && python prune_requirements.py unimported-packages.txt < locked.txt > requirements.txt \
 && pip install --no-cache-dir --no-deps --prefix=/install -r requirements.txt

# Then the connector itself (dependencies are already in /install).
COPY README.md ./
COPY source_tiktok_organic ./source_tiktok_organic
RUN pip install --no-cache-dir --no-deps --prefix=/install .

# ---------------------------------------------------------------------------------------
# final image: interpreter + /install only (no uv, no build tools, no pip cache).
# ---------------------------------------------------------------------------------------
FROM python:3.11-slim

# io.airbyte.version must equal [project].version in pyproject.toml and metadata.yaml.
LABEL io.airbyte.name=airbyte/source-tiktok-organic
LABEL io.airbyte.version=0.1.0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AIRBYTE_ENTRYPOINT="source-tiktok-organic"

COPY --from=builder /install /usr/local

RUN groupadd --gid 1000 airbyte \
 && useradd --uid 1000 --gid 1000 --home-dir /airbyte --no-create-home \
        --shell /usr/sbin/nologin airbyte \
 && mkdir -p /airbyte/integration_code \
 && chown -R 1000:1000 /airbyte \
 && source-tiktok-organic spec > /dev/null

WORKDIR /airbyte/integration_code
USER 1000:1000

ENTRYPOINT ["source-tiktok-organic"]
