#!/usr/bin/env bash
# Local stand-ins for the monitoring stack's images (deploy/docker-compose.monitoring.yml) on a machine
# with no container registry, the way ../shared/tools/docker-engine.sh makes node and postgres:
#   prom/prometheus:<tag>    Debian bookworm's `prometheus` (2.42) and `promtool`
#   prom/alertmanager:<tag>  Debian bookworm's `prometheus-alertmanager` (0.25) and `amtool`
# Both keep the official images' contract that the compose file relies on: ENTRYPOINT /bin/prometheus
# (/bin/alertmanager) with the official CMD, upstream's default paths relative to the working
# directory /prometheus (/alertmanager), the data volume there owned by `nobody`, which the container
# runs as, the config at /etc/prometheus/prometheus.yml (/etc/alertmanager/alertmanager.yml), ports
# 9090 (9093), and `wget` inside. Each carries the label bird-approvals-sync.stand-in saying what it is.
#
# Builds only what is missing, and only where there is no registry: the debootstrapped base
# local/debian:bookworm-slim (STANDIN_BASE) exists only where docker-engine.sh made it for that reason.
# A machine that can pull gets the official images from `docker compose pull` and never stand-ins that
# would shadow their tags. The tags are read from the compose file, so they cannot drift from it.
# Exit 0: both images are here (built or already present). Exit 3: nothing built, last line says why
# (no Docker, no local base). Exit 1: a build failed (last lines: the build's log). apt inside the
# builds reaches Debian's mirrors; nothing else leaves the machine. About 1-2 minutes, seconds after.
# Usage: bash scripts/monitoring-standins.sh
set -euo pipefail
cd "$(dirname "$0")/.."

base="${STANDIN_BASE:-local/debian:bookworm-slim}"
compose_file=deploy/docker-compose.monitoring.yml
image_of() { sed -n "s|^ *image: *[\"']\{0,1\}\(prom/$1:[^\"' ]*\).*|\1|p" "$compose_file" | head -n 1; }
prometheus="$(image_of prometheus)"
alertmanager="$(image_of alertmanager)"
[ -n "$prometheus" ] && [ -n "$alertmanager" ] || { echo "no prom/prometheus or prom/alertmanager image in $compose_file" >&2; exit 1; }

skip() { echo "$*"; exit 3; }
docker info >/dev/null 2>&1 || skip "no Docker engine answers (docker info)"
has() { docker image inspect "$1" >/dev/null 2>&1; }
if has "$prometheus" && has "$alertmanager"; then exit 0; fi
has "$base" || skip "no $base base image to build stand-ins on (../shared/tools/docker-engine.sh makes it where there is no registry)"

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT

# Debian's binaries default to Debian's paths (/etc/prometheus, /var/lib/prometheus); upstream's, which
# the official images run, are relative to the working directory. The compose file's command gives
# --config.file but not --storage.tsdb.path, so Prometheus' data must land in /prometheus/data (the
# volume) as it does with the official image.
cat >"$ctx/upstream-defaults" <<'SH'
#!/bin/sh
# Usage: upstream-defaults BINARY DEFAULT... -- ARG...   Runs BINARY with the ARGs, preceded by each
# DEFAULT (--flag=value) whose flag no ARG sets: a Debian build behaves like upstream's.
bin="$1"; shift
defaults=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do defaults="$defaults $1"; shift; done
[ "$#" -gt 0 ] && shift
for d in $defaults; do
  flag="${d%%=*}" given=""
  for a in "$@"; do case "$a" in "$flag" | "$flag"=*) given=1 ;; esac; done
  [ -n "$given" ] || set -- "$d" "$@"
done
exec "$bin" "$@"
SH
chmod +x "$ctx/upstream-defaults"

# No init runs in a build: policy-rc.d keeps the packages' postinst from starting their services.
apt_run() {
  printf '%s\n' \
    "RUN printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \\" \
    " && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* >/dev/null \\" \
    " && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d"
}

build() {  # tag package (the Dockerfile is on stdin)
  local tag="$1" dir="$ctx/$2"
  mkdir -p "$dir" && cp "$ctx/upstream-defaults" "$dir/" && cat >"$dir/Dockerfile"
  echo "building stand-in $tag from Debian bookworm's $2 package on $base…" >&2
  docker build -q -t "$tag" "$dir" >/dev/null 2>"$ctx/build.log" || { tail -n 20 "$ctx/build.log" >&2; echo "building the stand-in $tag failed"; exit 1; }
}

if ! has "$prometheus"; then
  build "$prometheus" prometheus <<DOCKERFILE
FROM $base
$(apt_run prometheus wget)
RUN mkdir -p /prometheus \\
 && ln -s /etc/prometheus/console_libraries /usr/share/prometheus/console_libraries \\
 && ln -s /etc/prometheus/consoles /usr/share/prometheus/consoles \\
 && chown -R nobody:nogroup /prometheus /etc/prometheus
COPY upstream-defaults /usr/local/bin/upstream-defaults
LABEL bird-approvals-sync.stand-in="$prometheus built from Debian bookworm's prometheus package (scripts/monitoring-standins.sh)"
USER nobody
EXPOSE 9090
VOLUME ["/prometheus"]
WORKDIR /prometheus
ENTRYPOINT ["/usr/local/bin/upstream-defaults", "/bin/prometheus", "--config.file=prometheus.yml", "--storage.tsdb.path=data/", "--"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.console.libraries=/usr/share/prometheus/console_libraries", "--web.console.templates=/usr/share/prometheus/consoles"]
DOCKERFILE
fi

if ! has "$alertmanager"; then
  build "$alertmanager" prometheus-alertmanager <<DOCKERFILE
FROM $base
$(apt_run prometheus-alertmanager wget)
RUN ln -s prometheus-alertmanager /usr/bin/alertmanager \\
 && mkdir -p /alertmanager /etc/alertmanager \\
 && cp /etc/prometheus/alertmanager.yml /etc/alertmanager/alertmanager.yml \\
 && chown -R nobody:nogroup /alertmanager /etc/alertmanager
COPY upstream-defaults /usr/local/bin/upstream-defaults
LABEL bird-approvals-sync.stand-in="$alertmanager built from Debian bookworm's prometheus-alertmanager package (scripts/monitoring-standins.sh)"
USER nobody
EXPOSE 9093
VOLUME ["/alertmanager"]
WORKDIR /alertmanager
ENTRYPOINT ["/usr/local/bin/upstream-defaults", "/bin/alertmanager", "--config.file=alertmanager.yml", "--storage.path=data/", "--"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]
DOCKERFILE
fi
echo "stand-ins ready: $prometheus, $alertmanager"
