#!/usr/bin/env bash
# npm run test:compose — proves `docker compose up` (DESIGN §6): the real docker-compose.yml plus an
# overlay that adds the built-in fake Bird API, and deploy/docker-compose.monitoring.yml. Checks, in
# order: the worker becomes healthy and its status page answers on the host (127.0.0.1 only); the
# compose database equals the fake (by approvals-sync commands run inside the worker); Prometheus loads
# deploy/alerts.yml, scrapes the worker and knows Alertmanager (on a machine without a registry, in
# stand-in images that scripts/monitoring-standins.sh builds from Debian's packages); two workers
# (--scale worker=2) converge on a new flow with no page fetched twice; `stop` ends both with exit 0;
# `down -v` leaves nothing behind. Needs a Docker engine (on this machine: ../shared/tools/docker-engine.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then dc=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then dc=(docker-compose)   # compose v1
else echo "test:compose: neither 'docker compose' nor 'docker-compose' is installed" >&2; exit 2; fi

project="bas-compose-test-$$"
work="$(mktemp -d)"
compose() { "${dc[@]}" -p "$project" -f docker-compose.yml -f test/compose/fake-api.yml -f deploy/docker-compose.monitoring.yml "$@"; }
passed=0
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }
die() { echo "not ok - $*" >&2; compose logs --no-color --tail=40 >&2 || true; exit 1; }
# Polls "$@" every second until it succeeds; fails naming what it waited for.
wait_for() {
  local what="$1" limit="$2"; shift 2
  for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  die "timed out after ${limit}s waiting for $what"
}

# docker-compose.yml reads .env (env_file), and compose v1 insists that the file exists.
made_env=""
if [ ! -e .env ]; then : >.env; made_env=1; fi
cleanup() {
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  [ -n "$made_env" ] && rm -f .env
  rm -rf "$work"
}
trap cleanup EXIT

# The fake's key is fixed; its organization id is read from it once it runs. Until then the base
# file's required variables only need a value to interpolate.
export BIRD_ACCESS_KEY=fake-access-key BIRD_ORGANIZATION_ID=pending

echo "# building the image (${dc[*]})"
compose build -q >/dev/null 2>"$work/build.log" || { cat "$work/build.log" >&2; die "docker compose build"; }
compose up -d fake-api >/dev/null 2>&1 || die "starting the fake API"
fake() { compose exec -T fake-api node -e "fetch('http://127.0.0.1:4010$1',{method:'${2:-GET}',headers:{'content-type':'application/json'},${3:+body:'$3',}}).then(async r=>{if(!r.ok)process.exit(1);process.stdout.write(await r.text())}).catch(()=>process.exit(1))"; }
wait_for "the fake API" 60 fake /_fake/info
fake /_fake/info >"$work/info.json"
BIRD_ORGANIZATION_ID="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).organizationId)' "$work/info.json")"
export BIRD_ORGANIZATION_ID

# The worker and what it needs; the monitoring services start later, on their own.
compose up -d worker >/dev/null 2>&1 || die "docker compose up"
worker_health() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$1")" = healthy ]; }
w1="$(compose ps -q worker)"
wait_for "the worker to become healthy" 240 worker_health "$w1"
ok "worker healthy"

# The status page from the host: published on 127.0.0.1, on the port `docker compose port` names.
published="$(compose port worker 9464)" || die "docker compose port worker 9464"
case "$published" in 127.0.0.1:*) ;; *) die "the status page is published on $published, not 127.0.0.1";; esac
page() { node -e "fetch('http://$published/').then(async r=>{const t=await r.text();process.exit(r.ok&&t.includes('approvals-sync status')?0:1)}).catch(()=>process.exit(1))"; }
wait_for "the status page on http://$published/" 30 page
ok "status page reachable from the host at http://$published/"

inside() { compose exec -T worker approvals-sync "$@"; }
all_synced() { inside status --json >"$work/status.json" 2>/dev/null && node scripts/compose-check.mjs synced "$work/status.json" "$work/info.json"; }
compare() {
  inside report summary --format json >"$work/summary.json" 2>/dev/null || return 1
  inside status --json >"$work/status.json" 2>/dev/null || return 1
  local files=()
  for id in $(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).flowIds.join(" "))' "$work/info.json"); do
    fake "/_fake/runs?flow=$id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify({flowId:process.argv[1],runs:JSON.parse(s)})))' "$id" >"$work/runs-$id.json" || return 1
    files+=("$work/runs-$id.json")
  done
  node scripts/compose-check.mjs equal "$work/summary.json" "$work/status.json" "${files[@]}"
}
wait_for "every flow's first full pass" 240 all_synced
compare >"$work/equal.txt" || { compare || true; die "the compose database differs from the fake"; }
ok "database equals the fake: $(cat "$work/equal.txt")"

# The monitoring stack: Prometheus loads deploy/alerts.yml, scrapes the worker, knows Alertmanager.
# Its images come from Docker Hub. On a machine without a registry (this project's CI),
# scripts/monitoring-standins.sh builds stand-ins under the same tags from Debian's packages
# (Prometheus 2.42, Alertmanager 0.25; the official images' paths, ports and user), and the check's
# line says so. Only when neither is possible (no local Debian base to build on) does this part say so
# in one line instead of failing (promtool checks the rules in CI either way).
monitoring_images="$(sed -n 's|^ *image: *\(prom/[a-z]*:[^ ]*\).*|\1|p' deploy/docker-compose.monitoring.yml | tr '\n' ' ')"
if why="$(bash scripts/monitoring-standins.sh 2>"$work/standins.log" | tail -n 1)"; then
  sed -n 's/^building \(.*\)…$/# built \1/p' "$work/standins.log"
  compose up -d --no-recreate prometheus alertmanager >/dev/null 2>&1 || die "starting Prometheus and Alertmanager"
  prom() { compose exec -T prometheus wget -qO- "http://127.0.0.1:9090$1"; }
  rules_loaded() { prom /api/v1/rules | grep -q '"name":"ApprovalsSyncDown"'; }
  wait_for "Prometheus to load deploy/alerts.yml" 90 rules_loaded
  rules="$(prom /api/v1/rules | grep -o '"type":"alerting"' | wc -l)"
  [ "$rules" -eq "$(grep -c '^      - alert:' deploy/alerts.yml)" ] || die "Prometheus loaded $rules alert rules, deploy/alerts.yml has $(grep -c '^      - alert:' deploy/alerts.yml)"
  scraped() { prom '/api/v1/query?query=up%7Bjob%3D%22approvals-sync%22%7D%3D%3D1' | grep -q '"value"'; }
  wait_for "Prometheus to scrape the worker" 90 scraped
  alertmanager_known() { prom /api/v1/alertmanagers | grep -q 'alertmanager:9093'; }
  wait_for "Prometheus to find Alertmanager" 60 alertmanager_known
  # Which Prometheus and Alertmanager answered, and whether they are the official images or stand-ins.
  version() { sed -n 's/.*"version":"\([^"]*\)".*/\1/p' | head -n 1; }
  prom_version="$(prom /api/v1/status/buildinfo | version)"
  am_version="$(compose exec -T alertmanager wget -qO- http://127.0.0.1:9093/api/v2/status | version)"
  [ -n "$am_version" ] || die "Alertmanager's /api/v2/status did not answer"
  made=""
  for image in $monitoring_images; do
    label="$(docker image inspect -f '{{index .Config.Labels "bird-approvals-sync.stand-in"}}' "$image" 2>/dev/null || true)"
    case "$label" in "" | "<no value>") ;; *) made="$made ${image%%:*}" ;; esac
  done
  runs_on="Prometheus $prom_version, Alertmanager $am_version"
  [ -z "$made" ] || runs_on="stand-in images built from Debian bookworm's packages for$made by scripts/monitoring-standins.sh: $runs_on"
  ok "Prometheus loaded $rules alert rules, scrapes the worker, sends to Alertmanager ($runs_on)"
else
  images_list="$(echo $monitoring_images | sed 's/ / and /g')"
  echo "monitoring stack not checked: no $images_list images here (no registry to pull them from), and no stand-ins: $why"
fi

compose up -d --no-recreate --scale worker=2 worker >/dev/null 2>&1 || die "docker compose up --scale worker=2"
mapfile -t workers < <(compose ps -q worker)
[ "${#workers[@]}" -eq 2 ] || die "expected 2 workers, got ${#workers[@]}"
for w in "${workers[@]}"; do wait_for "worker $w to become healthy" 240 worker_health "$w"; done
# A new flow while both replicas run: they tick on the same schedule and race for it.
fake /_fake/reset-counters POST '{}' >/dev/null || die "resetting the fake's counters"
new_flow="$(fake /_fake/mutate POST '{"op":"addFlow","runs":1500}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).flowId))')"
fake /_fake/info >"$work/info.json"
wait_for "both workers to sync the new flow" 240 all_synced
compare >"$work/equal.txt" || die "after scaling, the compose database differs from the fake"
fake /_fake/state >"$work/state.json"
once="$(node scripts/compose-check.mjs refetched "$work/state.json" "$new_flow")" || die "a page was fetched twice: $once"
ok "--scale worker=2 converged ($(cat "$work/equal.txt")); new flow: $once"

compose stop >/dev/null 2>&1 || die "docker compose stop"
for w in "${workers[@]}"; do
  code="$(docker inspect -f '{{.State.ExitCode}}' "$w")"
  [ "$code" = 0 ] || die "worker $w exited $code on docker compose stop"
done
ok "docker compose stop: both workers exited 0"

compose down -v --remove-orphans >/dev/null 2>&1 || die "docker compose down -v"
label="label=com.docker.compose.project=$project"
left="$(docker ps -aq --filter "$label")$(docker volume ls -q --filter "$label")$(docker network ls -q --filter "$label")"
[ -z "$left" ] || die "down -v left containers, volumes or networks behind"
ok "docker compose down -v removed containers, volumes and networks"
echo "test:compose: $passed passed, 0 failed"
