#!/usr/bin/env bash
# Scale benchmark: a config repo with GUILDS guild files and TENANTS tenant files (default 10,000
# and 1,000); times validate, render (first and unchanged), render --check and one create-guild,
# and reports peak memory. Uses the release binary: `make build` first.
# Usage: scripts/bench.sh [GUILDS] [TENANTS]
set -euo pipefail
GUILDS=${1:-10000}
TENANTS=${2:-1000}
TENANTCTL=${TENANTCTL:-$(pwd)/target/release/tenantctl}
work=$(mktemp -d "${TMPDIR:-/tmp}/tenantctl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@example.com

"$TENANTCTL" init "$work/platform" -q --repo-url https://git.example.com/bench.git
cd "$work/platform"
for i in $(seq 1 "$GUILDS"); do
  tier=free; [ $((i % 4)) -eq 0 ] && tier=pro
  printf 'guild_id: "%s"\ntier: "%s"\nbackend_memory_limit: "512Mi"\n' "$((100000 + i))" "$tier" > "guilds/guild-$((100000 + i)).yaml"
done
mkdir -p tenants
for i in $(seq 1 "$TENANTS"); do
  cat > "tenants/shop-$i.yaml" <<YAML
apiVersion: shop.pilab.hu/v1alpha1
kind: Tenant
metadata:
  name: shop-$i
spec:
  tenantId: shop-$i
  tenantType: production
  imageTag: v1.2.3
  customDomain: shop-$i.example.com
  active: true
  services: [api, frontend, worker]
  resourceLimits: {cpuLimit: "2", memoryLimit: 4Gi, storageLimit: 20Gi}
  backupConfig: {enabled: true, schedule: "0 2 * * *", retention: 30d}
YAML
done
git add -A >/dev/null && git commit -qm "bench files"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e s, %M KiB peak" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
  printf '%-34s %s\n' "$label" "$(cat "$work/time")"
}
echo "repo: $GUILDS guilds, $TENANTS tenants, $(nproc) cores"
measure "render (first: writes everything)" "$TENANTCTL" render -q
git add -A >/dev/null && git commit -qm rendered
measure "validate (files + drift check)" "$TENANTCTL" validate -q
measure "render (unchanged: writes nothing)" "$TENANTCTL" render -q
measure "render --check" "$TENANTCTL" render --check -q
measure "create-guild (validate all, commit)" "$TENANTCTL" create-guild 999999999 --tier pro --no-push -q
echo "files changed by the create: $(git show --name-only --format= HEAD | wc -l)"
