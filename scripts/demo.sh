#!/usr/bin/env bash
# The whole guild lifecycle on the embedded example, in a temporary directory, against a local
# bare git remote: init, create two guilds, list, validate, render --check, build the overlays
# with kubectl kustomize, update, delete. Nothing outside the temporary directory is touched.
set -euo pipefail
TENANTCTL=${TENANTCTL:-tenantctl}
work=$(mktemp -d "${TMPDIR:-/tmp}/tenantctl-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name "tenantctl demo"
git config --global user.email demo@example.com
git config --global init.defaultBranch main

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

git init -q --bare "$work/remote.git"
step "$TENANTCTL" init "$work/platform" --repo-url "file://$work/remote.git"
cd "$work/platform"
git remote add origin "$work/remote.git"
step "$TENANTCTL" push
step "$TENANTCTL" create-guild 123456789 --tier free
step "$TENANTCTL" create-guild 987654321 --tier pro --set backend_memory_limit=1Gi
step "$TENANTCTL" list
step "$TENANTCTL" list --output json
step "$TENANTCTL" validate
step "$TENANTCTL" render --check
step "$TENANTCTL" status 123456789
if command -v kubectl >/dev/null; then
  printf '\n\033[1m$ kubectl kustomize kustomize/guilds/guild-987654321 (Deployments, abridged)\033[0m\n'
  kubectl kustomize kustomize/guilds/guild-987654321 | grep -E '^kind:|namespace:|replicas:|cpu:|memory:'
fi
step "$TENANTCTL" update-guild 123456789 --tier pro
step "$TENANTCTL" delete-guild 987654321 --yes
step git --no-pager log --oneline origin/main
echo
echo "demo finished: every step above ran against a real git remote in $work (removed on exit)"
