#!/usr/bin/env bash
# Build a local stand-in for the image `python:3.11-slim` when it cannot be pulled.
#
# This machine's Docker engine has no registry access, so the project's Dockerfile
# (which keeps a standard `FROM python:3.11-slim`) could not build. This script
# bootstraps Debian bookworm (minbase) with debootstrap from Debian's package archive,
# installs Debian's Python 3.11 + pip + venv, makes it behave like the official image
# where it matters, and `docker import`s it as `python:3.11-slim`.
#
# Behaviour that mirrors the official image:
#   * python, python3, python3.11, pip, pip3, pip3.11 are in /usr/local/bin (first on PATH).
#   * sys.prefix is /usr/local and packages go to /usr/local/lib/python3.11/site-packages;
#     `pip install --prefix=/X` lays out /X/lib/python3.11/site-packages and /X/bin, so
#     `COPY --from=builder /X /usr/local` works as with the official image.
#     Debian's own interpreter would use /X/local/lib/python3.11/dist-packages instead
#     (Debian's "posix_local" scheme). The fix: /usr/local is set up as a venv over
#     /usr/bin/python3.11 (a /usr/local/pyvenv.cfg with system site-packages visible,
#     so Debian's pip stays importable).
#   * pip may install system-wide (EXTERNALLY-MANAGED removed).
#   * ENV PATH / LANG and CMD ["python3"] as in the official image; ca-certificates,
#     netbase and tzdata installed as the official image does.
# Local addition: CA certificates the host trusts beyond Debian's set (e.g. a TLS-
# intercepting egress proxy's CA) are added, so pip can reach PyPI during builds here.
#
# Idempotent: if `python:3.11-slim` already exists (the real image or this stand-in),
# it is reused and nothing is done. Run from anywhere; needs root (debootstrap, chroot).
#
# Environment overrides:
#   BASE_IMAGE      image to create        (default python:3.11-slim)
#   DEBIAN_MIRROR   Debian archive         (default http://deb.debian.org/debian)
#   DEBIAN_SECURITY Debian security archive (default http://deb.debian.org/debian-security)
#   CARRY_HOST_CAS=0 do not copy the host's extra CA certificates into the image
#   KEEP_LOG=1      keep the full log file even on success
set -euo pipefail

IMAGE="${BASE_IMAGE:-python:3.11-slim}"
SUITE="bookworm"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}"
PY="python3.11"
PACKAGES=(python3 python3-pip python3-venv ca-certificates netbase tzdata)

log() { printf '[docker-base %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if ! docker info >/dev/null 2>&1; then
    die "cannot talk to the Docker engine (is dockerd running / DOCKER_HOST set?)"
fi

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE already present ($(docker image inspect -f '{{.Id}}' "$IMAGE" | cut -c1-19)): reused"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap + chroot) to create $IMAGE"

# Serialise concurrent runs (e.g. two builds started at once), then re-check.
LOCK_FILE="${TMPDIR:-/tmp}/docker-base-python311.lock"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    flock 9
    if docker image inspect "$IMAGE" >/dev/null 2>&1; then
        log "image $IMAGE was created by a concurrent run: reused"
        exit 0
    fi
fi

START=$SECONDS
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 LANG=C.UTF-8

ROOTFS=""
LOG_FILE="$(mktemp "${TMPDIR:-/tmp}/docker-base.XXXXXX.log")"

cleanup() {
    local rc=$?
    if [ -n "$ROOTFS" ] && [ -d "$ROOTFS" ]; then
        # Unmount anything still mounted below the rootfs (deepest first) before deleting.
        local m
        for m in $(awk -v r="$ROOTFS" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r); do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
        if awk -v r="$ROOTFS" '$2 == r || index($2, r "/") == 1 {found=1} END {exit !found}' /proc/mounts; then
            log "WARNING: mounts remain under $ROOTFS; not deleting it"
        else
            rm -rf --one-file-system "$ROOTFS"
        fi
    fi
    if [ "$rc" -ne 0 ]; then
        log "failed (exit $rc); last lines of $LOG_FILE:"
        tail -n 40 "$LOG_FILE" >&2 || true
    elif [ "${KEEP_LOG:-0}" != 1 ]; then
        rm -f "$LOG_FILE"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a command with its output going to the log file only.
quiet() { "$@" >>"$LOG_FILE" 2>&1; }

log "image $IMAGE not found: building a local stand-in from Debian $SUITE (log: $LOG_FILE)"

# 1. debootstrap on the host --------------------------------------------------------
missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing on the host: ${missing[*]}"
    quiet apt-get update
    quiet apt-get install -y --no-install-recommends "${missing[@]}"
fi

# 2. minimal Debian rootfs ------------------------------------------------------------
ROOTFS="$(mktemp -d "${TMPDIR:-/var/tmp}/py311-rootfs.XXXXXX")"
chmod 755 "$ROOTFS"
log "debootstrap --variant=minbase $SUITE -> $ROOTFS"
quiet debootstrap --variant=minbase \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$SUITE" "$ROOTFS" "$MIRROR"

# 3. configure like debian:bookworm-slim ----------------------------------------------
log "configuring apt/dpkg (slim excludes, sources incl. updates + security)"
# Keep docs, man pages and translations out of every later install too (as debian slim).
mkdir -p "$ROOTFS/etc/dpkg/dpkg.cfg.d" "$ROOTFS/etc/apt/apt.conf.d" "$ROOTFS/etc/apt/sources.list.d"
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# Slim image: no documentation, manuals or translations (like debian:*-slim).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages" <<'EOF'
Acquire::Languages "none";
EOF
rm -f "$ROOTFS/etc/apt/sources.list"
cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# No daemons may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
# Name resolution for apt inside the chroot (the chroot shares the host network).
rm -f "$ROOTFS/etc/resolv.conf"
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"

mount -t proc proc "$ROOTFS/proc"
in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 LANG=C.UTF-8 HOME=/root "$@"; }

# 4. Python -----------------------------------------------------------------------------
log "apt-get update + upgrade inside the rootfs"
quiet in_root apt-get update
quiet in_root apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade
log "apt-get install --no-install-recommends ${PACKAGES[*]}"
quiet in_root apt-get install -y --no-install-recommends "${PACKAGES[@]}"
# debian slim has useradd/groupadd (package passwd); minbase may not.
[ -x "$ROOTFS/usr/sbin/useradd" ] || quiet in_root apt-get install -y --no-install-recommends passwd

# Trust what the host trusts beyond Debian's CA set. On machines whose outbound HTTPS
# goes through a TLS-intercepting proxy (this one: pip must reach PyPI through it), the
# proxy's CA is only in the host's bundle; without it `pip install` in the build fails
# with CERTIFICATE_VERIFY_FAILED. Only the host's *local* additions are copied: certs in
# the host bundle that are neither in the host's distro set (/usr/share/ca-certificates)
# nor in the fresh rootfs bundle (so roots Debian has since dropped are not re-added).
# They go to /usr/local/share/ca-certificates/host-extra-N.crt (kept by later
# update-ca-certificates runs). Disable with CARRY_HOST_CAS=0.
HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
if [ "${CARRY_HOST_CAS:-1}" = 1 ] && [ -r "$HOST_CA_BUNDLE" ]; then
    cp -L "$HOST_CA_BUNDLE" "$ROOTFS/tmp/host-ca-bundle.crt"
    find /usr/share/ca-certificates -name '*.crt' -exec cat {} + \
        >"$ROOTFS/tmp/host-distro-cas.crt" 2>/dev/null || true
    n_extra="$(in_root "/usr/bin/$PY" - <<'EOF'
import re
PEM = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
def certs(path):
    with open(path, encoding="ascii", errors="replace") as f:
        return PEM.findall(f.read())
norm = lambda c: re.sub(r"\s", "", c)
known = {norm(c) for c in certs("/etc/ssl/certs/ca-certificates.crt")}
known |= {norm(c) for c in certs("/tmp/host-distro-cas.crt")}
n = 0
for cert in certs("/tmp/host-ca-bundle.crt"):
    if norm(cert) not in known:
        known.add(norm(cert))
        n += 1
        with open(f"/usr/local/share/ca-certificates/host-extra-{n}.crt", "w") as out:
            out.write(cert + "\n")
print(n)
EOF
)"
    rm -f "$ROOTFS/tmp/host-ca-bundle.crt" "$ROOTFS/tmp/host-distro-cas.crt"
    if [ "$n_extra" -gt 0 ]; then
        quiet in_root update-ca-certificates
        log "added $n_extra CA certificate(s) the host trusts locally (CARRY_HOST_CAS=0 to skip)"
    fi
fi

PYVER="$(in_root "/usr/bin/$PY" -c 'import platform; print(platform.python_version())')"
log "Debian Python $PYVER: making /usr/local look like the official image"
rm -f "$ROOTFS/usr/lib/$PY/EXTERNALLY-MANAGED"
mkdir -p "$ROOTFS/usr/local/bin" "$ROOTFS/usr/local/lib/$PY/site-packages"
# /usr/local as a venv over the Debian interpreter: sys.prefix=/usr/local, scheme "venv"
# (lib/python3.11/site-packages, bin), system site-packages (Debian's pip) still visible.
cat >"$ROOTFS/usr/local/pyvenv.cfg" <<EOF
home = /usr/bin
include-system-site-packages = true
version = $PYVER
EOF
for name in python python3 "$PY"; do
    ln -sfn "/usr/bin/$PY" "$ROOTFS/usr/local/bin/$name"
done
for name in pip pip3 pip3.11; do
    cat >"$ROOTFS/usr/local/bin/$name" <<'EOF'
#!/usr/local/bin/python3
import re
import sys

from pip._internal.cli.main import main

if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", sys.argv[0])
    sys.exit(main())
EOF
    chmod 755 "$ROOTFS/usr/local/bin/$name"
done

# Sanity checks: prefix, install scheme, pip.
in_root /usr/local/bin/python3 - <<'EOF' >>"$LOG_FILE" 2>&1 || die "python layout check failed"
import sys, sysconfig
assert sys.prefix == "/usr/local", sys.prefix
scheme = sysconfig.get_preferred_scheme("prefix")
paths = sysconfig.get_paths(scheme, vars={"base": "/install", "platbase": "/install"})
assert paths["purelib"] == "/install/lib/python3.11/site-packages", paths
assert paths["scripts"] == "/install/bin", paths
assert "/usr/local/lib/python3.11/site-packages" in sys.path, sys.path
print("layout ok:", sys.version.split()[0], scheme, paths["purelib"])
EOF
in_root pip --version >>"$LOG_FILE" 2>&1 || die "pip check failed"
in_root python -c 'import ssl, venv, ensurepip, sqlite3, zoneinfo; zoneinfo.ZoneInfo("Europe/Paris")' \
    >>"$LOG_FILE" 2>&1 || die "stdlib module check failed"

# 5. slim it down -----------------------------------------------------------------------
log "cleaning apt lists/caches, docs, man pages, locales, logs"
quiet in_root apt-get clean
umount "$ROOTFS/proc"
rm -f "$ROOTFS/usr/sbin/policy-rc.d"
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/cache/debconf/*-old \
    "$ROOTFS"/var/lib/dpkg/*-old "$ROOTFS"/var/log/apt/* "$ROOTFS"/var/log/*.log \
    "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/* \
    "$ROOTFS"/usr/share/lintian/* "$ROOTFS"/usr/share/linda/* "$ROOTFS"/usr/share/groff/* \
    "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/* "$ROOTFS"/root/.cache "$ROOTFS"/debootstrap
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
# Docker provides these at run time.
: >"$ROOTFS/etc/resolv.conf"
: >"$ROOTFS/etc/hostname"
[ -e "$ROOTFS/etc/machine-id" ] && : >"$ROOTFS/etc/machine-id"
ROOTFS_SIZE="$(du -sh --one-file-system "$ROOTFS" | cut -f1)"

# 6. import -------------------------------------------------------------------------------
log "docker import ($ROOTFS_SIZE rootfs) as $IMAGE"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PYTHON_VERSION=$PYVER" \
    --change 'LABEL local.python-base.stand-in="debootstrap bookworm minbase + Debian python3.11, made by .ci/docker-base.sh"' \
    --change 'CMD ["python3"]' \
    - "$IMAGE" >>"$LOG_FILE"

SIZE="$(docker image inspect -f '{{.Size}}' "$IMAGE")"
log "created $IMAGE: $(numfmt --to=iec-i --suffix=B "$SIZE") ($SIZE bytes), Python $PYVER, in $((SECONDS - START))s"
