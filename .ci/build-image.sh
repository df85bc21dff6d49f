#!/usr/bin/env bash
# Build the connector image (default tag source-tiktok-organic:dev; override with IMAGE=...),
# also tagged source-tiktok-organic:latest, so `docker run source-tiktok-organic ...` runs it.
#
# 1. .ci/docker-base.sh makes sure python:3.11-slim exists locally (reused if present,
#    otherwise a Debian-based stand-in is created, as no registry can be reached here).
# 2. docker build --network host (the build installs from PyPI; host networking avoids
#    depending on the bridge network's NAT).
# 3. Tags it $LATEST (source-tiktok-organic:latest) as well, then prints the image size.
# Idempotent: re-running reuses the base image and Docker's layer cache.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE="${IMAGE:-source-tiktok-organic:dev}"
LATEST="source-tiktok-organic:latest"

log() { printf '[build-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

START=$SECONDS
bash .ci/docker-base.sh

log "docker build --network host -t $IMAGE -t $LATEST ."
docker build --network host --force-rm -t "$IMAGE" -t "$LATEST" .

SIZE="$(docker image inspect -f '{{.Size}}' "$IMAGE")"
HUMAN="$(numfmt --to=iec-i --suffix=B "$SIZE" 2>/dev/null || echo "$((SIZE / 1048576))MiB")"
log "built $IMAGE (also $LATEST) in $((SECONDS - START))s"
echo "image $IMAGE size: $SIZE bytes ($HUMAN)"
