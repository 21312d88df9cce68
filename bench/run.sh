#!/usr/bin/env bash
# `make bench`: tenantctl at scale, side by side with the tools a platform team would otherwise use.
#
# For each N in BENCH_SIZES (default "1000 10000"; 100000 works but takes hours on 2 cores) it makes
# a config repo with `tenantctl init` against a local bare remote, writes N guild files and N tenant
# files with bench/gen.py, renders, commits and pushes, checks that `tenantctl validate` passes,
# then runs each measurement BENCH_RUNS times (default 5), the tools of one comparison interleaved:
#   validate    tenantctl validate (with and without its render memo)  vs  ajv-cli,
#               check-jsonschema, cat of the same files
#   render      first render (no overlays yet), no-op render, render --check  vs  cp -r of the tree
#   kustomize   kubectl kustomize of one rendered guild overlay  vs  a hand-written strategic-merge
#               overlay of the same guild (bench/smp-overlay/), checked to build the same objects
#   apps        tenantctl apps --output json (and how many ApplicationSets and Applications)
#   create      create-guild and create-tenant, committed and pushed; ratio to the smallest N; and
#               create-guild right after a commit made by hand (it renders the whole repo); the
#               hand-made commit itself (git add, commit, push of one file: git's own floor)
# BENCH_ONLY_TENANTCTL holds sizes (e.g. "100000") measured without the peers: no ajv-cli,
# check-jsonschema, cat, guild-only copy, timed first render or cp -r (the setup's render is
# timed once instead); everything tenantctl does is measured as at any other size. A 100,000 +
# 100,000 run so took 30 minutes on 2 cores, half of it setup (bench/results-100k.md). BENCH_OUT
# names the results file (default bench/results.md).
# Every run goes through bench/measure.py (wall seconds and peak RSS from getrusage), so the
# numbers do not depend on GNU time. It prints the tables and writes bench/results.md.
#
# The peers are installed here, into bench/.peers/ (gitignored): ajv-cli and ajv-formats from npm,
# check-jsonschema into a venv. Everything else happens in a temporary directory, removed on exit,
# with its own HOME, so neither the user's git config nor this repository is touched (apart from
# bench/results.md and bench/.peers/).
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench")
TENANTCTL=${TENANTCTL:-$root/target/release/tenantctl}
sizes=${BENCH_SIZES:-"1000 10000"}
runs=${BENCH_RUNS:-5}
only_tenantctl=" ${BENCH_ONLY_TENANTCTL:-} "
out=${BENCH_OUT:-$bench/results.md}
peers=$bench/.peers
AJV_CLI_VERSION=5.0.0
AJV_FORMATS_VERSION=3.0.1
CHECK_JSONSCHEMA_VERSION=0.39.0

die() { echo "bench: $*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$runs'"
read -r -a sizes <<<"$sizes"
((${#sizes[@]})) || die "BENCH_SIZES is empty"
for n in "${sizes[@]}"; do
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 2)) || die "BENCH_SIZES holds '$n': each size must be an integer >= 2"
done
[[ -x $TENANTCTL ]] || die "no tenantctl at $TENANTCTL (make build, or set TENANTCTL)"
for tool in git python3 npm node kubectl find xargs cp tar awk sync; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done

# --- peers, before HOME is replaced (npm and pip keep the user's registry settings) -------------
pins="ajv-cli@$AJV_CLI_VERSION ajv-formats@$AJV_FORMATS_VERSION check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
if [[ $(cat "$peers/.installed" 2>/dev/null) != "$pins" ]]; then
  say "installing peers into bench/.peers: $pins"
  rm -rf "$peers"
  mkdir -p "$peers"
  npm install --prefix "$peers" --no-audit --no-fund --loglevel=error \
    "ajv-cli@$AJV_CLI_VERSION" "ajv-formats@$AJV_FORMATS_VERSION" >&2
  python3 -m venv "$peers/venv"
  "$peers/venv/bin/pip" install --quiet --disable-pip-version-check \
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" >&2
  echo "$pins" >"$peers/.installed"
fi
AJV=$peers/node_modules/.bin/ajv
CHECK_JSONSCHEMA=$peers/venv/bin/check-jsonschema

# --- the temporary world ---------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tenantctl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
mkdir -p "$HOME" "$work/bin"
# One binary for the whole run, even if target/release is rebuilt meanwhile.
cp "$TENANTCTL" "$work/bin/tenantctl"
TENANTCTL=$work/bin/tenantctl
git config --global user.name "tenantctl bench"
git config --global user.email bench@example.com
git config --global init.defaultBranch main

raw=$work/raw.tsv          # n, work, tool, role, run, seconds, peak RSS KiB
meta=$work/meta.tsv        # key, value
notes=$work/notes.tsv      # n, text
commands=$work/commands.tsv # work, tool, command line
log=$work/last.log         # output of the last measured command
: >"$raw" >"$notes" >"$commands"

# --- machine and versions --------------------------------------------------------------------
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]] ||
  commit="$commit (with uncommitted changes)"
pkg_version() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$1"; }
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'machine\t%s CPUs (nproc), %s\n' "$(nproc)" "$(uname -srm)"
  printf 'cpu\t%s\n' "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)"
  printf 'memory\t%s\n' "$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  printf 'tenantctl\t%s\n' "$("$TENANTCTL" --version)"
  printf 'commit\t%s\n' "$commit"
  printf 'sizes\t%s\n' "${sizes[*]}"
  [[ -z ${BENCH_ONLY_TENANTCTL:-} ]] ||
    printf 'only_tenantctl\t%s\n' "$BENCH_ONLY_TENANTCTL"
  printf 'runs\t%s\n' "$runs"
  printf 'ajv-cli\t%s (ajv %s, ajv-formats %s, node %s)\n' \
    "$(pkg_version "$peers/node_modules/ajv-cli/package.json")" \
    "$(pkg_version "$peers/node_modules/ajv/package.json")" \
    "$(pkg_version "$peers/node_modules/ajv-formats/package.json")" "$(node --version)"
  printf 'check-jsonschema\t%s (%s)\n' "$("$CHECK_JSONSCHEMA" --version | awk '{print $NF}')" \
    "$("$peers/venv/bin/python" --version)"
  printf 'kubectl\tkubectl %s (kustomize %s)\n' \
    "$(kubectl version --client 2>/dev/null | awk '/^Client Version:/ {print $3}')" \
    "$(kubectl version --client 2>/dev/null | awk '/^Kustomize Version:/ {print $3}')"
  printf 'git\t%s\n' "$(git --version)"
  printf 'coreutils\t%s\n' "$(cp --version | head -1)"
  read -r _ floor _ < <(python3 "$bench/measure.py" -- true)
  printf 'rss_floor\t%s\n' "$floor"
} >"$meta"

# --- measuring -------------------------------------------------------------------------------
# measure N WORK TOOL ROLE RUN DIR CMD...: run CMD once in DIR through measure.py, append a row,
# fail loudly (with the command's output) when it exits non-zero.
measure() {
  local n=$1 what=$2 tool=$3 role=$4 run=$5 dir=$6
  shift 6
  : >"$log"
  sync # the previous step's dirty pages are written back now, not during this measurement
  local secs rss code
  read -r secs rss code < <(python3 "$bench/measure.py" --log "$log" --cwd "$dir" -- "$@")
  if [[ $code != 0 ]]; then
    tail -n 30 "$log" >&2
    die "n=$n $what/$tool: '$*' exited $code"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$what" "$tool" "$role" "$run" "$secs" "$rss" >>"$raw"
  if ((run == 1)) && ! cut -f1,2 "$commands" | grep -qxF "$what	$tool"; then
    local arg line=""
    if [[ $# == 3 && $1 == bash && $2 == -c ]]; then
      line=$3 # a pipeline: show the shell text that bash -c ran
    else
      for arg in "$@"; do
        [[ $arg =~ [[:space:]\*\'] ]] && arg="'${arg//\'/\'\\\'\'}'"
        line+="${line:+ }$arg"
      done
    fi
    line=${line//$peers/bench/.peers}
    line=${line//$TENANTCTL/tenantctl}
    line=${line//$work\/n$n/\$W}
    printf '%s\t%s\t(in %s) %s\n' "$what" "$tool" "${dir//$work\/n$n/\$W}" "$line" >>"$commands"
  fi
}

# expect_count WHAT WANT GOT: a peer must have checked every file.
expect_count() { [[ $3 == "$2" ]] || die "$1 checked $3 files, not $2 (see above)"; }

# A peer that passes everything proves nothing: each must refuse a guild with an unknown key.
sanity=$work/sanity
mkdir -p "$sanity/guilds"
printf 'guild_id: "1"\ntier: "free"\nbackend_cpu_limt: "100m"\n' >"$sanity/guilds/guild-1.yaml"
(cd "$sanity" && "$TENANTCTL" schema guild) >"$sanity/guild.schema.json"
if "$AJV" validate --spec=draft2020 -c ajv-formats -s "$sanity/guild.schema.json" \
  -d "$sanity/guilds/*.yaml" >/dev/null 2>&1; then
  die "ajv-cli accepts a guild with an unknown key: it is not validating"
fi
if "$CHECK_JSONSCHEMA" --schemafile "$sanity/guild.schema.json" "$sanity/guilds/guild-1.yaml" \
  >/dev/null 2>&1; then
  die "check-jsonschema accepts a guild with an unknown key: it is not validating"
fi

smallest=${sizes[0]}
for n in "${sizes[@]}"; do ((n < smallest)) && smallest=$n; done
printf 'smallest\t%s\n' "$smallest" >>"$meta"

bench_size() {
  local n=$1 d=$work/n$1
  local repo=$d/platform remote=$d/remote.git
  local t0 t1 run quick=0
  [[ $only_tenantctl == *" $n "* ]] && quick=1
  mkdir -p "$d"

  # --- setup: init, push, generate, render, commit, push, validate once ----------------------
  say "n=$n: tenantctl init, $n guilds and $n tenants"
  git init -q --bare "$remote"
  "$TENANTCTL" -q init "$repo" --repo-url "file://$remote"
  git -C "$repo" remote add origin "$remote"
  (cd "$repo" && "$TENANTCTL" -q push)
  t0=$(date +%s.%N)
  python3 "$bench/gen.py" "$repo" "$n"
  t1=$(date +%s.%N)
  printf '%s\tgenerate %s guild and %s tenant files (bench/gen.py, untimed setup): %s s\n' "$n" "$n" "$n" \
    "$(elapsed "$t0" "$t1")" >>"$notes"
  say "n=$n: tenantctl render"
  t0=$(date +%s.%N)
  (cd "$repo" && "$TENANTCTL" -q render)
  t1=$(date +%s.%N)
  ((quick)) && printf '%s\tfirst `tenantctl render` (timed once, in the setup): %s s\n' "$n" \
    "$(elapsed "$t0" "$t1")" >>"$notes"
  say "n=$n: git commit and push"
  t0=$(date +%s.%N)
  git -C "$repo" add -A
  git -C "$repo" commit -q -m "bench: $n guilds and $n tenants"
  # No delta search: at 100,000 + 100,000 it alone takes longer than everything measured.
  git -C "$repo" -c pack.window=0 push -q origin main
  t1=$(date +%s.%N)
  printf '%s\tgit add, commit and push of the %s files (untimed setup): %s s\n' "$n" \
    "$(git -C "$repo" ls-files | wc -l)" "$(elapsed "$t0" "$t1")" >>"$notes"
  say "n=$n: tenantctl validate (must pass)"
  if ! (cd "$repo" && "$TENANTCTL" validate) >"$d/validate.log" 2>&1; then
    tail -n 40 "$d/validate.log" >&2
    die "n=$n: tenantctl validate fails on the generated repo"
  fi
  printf '%s\t`tenantctl validate`: %s\n' "$n" "$(tail -n 1 "$d/validate.log")" >>"$notes"

  # The guild-only copy for "validate guilds": the working tree without .git, tenants and their
  # overlays, so that tenantctl reads the same files the peers read.
  local gonly=$d/guilds-only
  if ((!quick)); then
    mkdir -p "$gonly"
    tar -C "$repo" --exclude=./.git --exclude=./tenants --exclude=./kustomize/tenants -cf - . |
      tar -C "$gonly" -xf -
    (cd "$gonly" && "$TENANTCTL" -q render && "$TENANTCTL" -q validate) ||
      die "n=$n: tenantctl validate fails on the guild-only copy"
  fi

  # --- validate ------------------------------------------------------------------------------
  local guild_glob="guilds/*.yaml" tenant_glob="tenants/*.yaml"
  for ((run = 1; run <= runs; run++)); do
    say "n=$n: validate, run $run/$runs"
    measure "$n" "validate guilds + tenants" "tenantctl validate" subject "$run" "$repo" \
      "$TENANTCTL" validate
    # Without the memos (.git/tenantctl-render-memo, .git/tenantctl-parse-memo): every file
    # parsed and every overlay rendered, as in a fresh CI clone.
    measure "$n" "validate guilds + tenants" "tenantctl validate (no memos: a fresh clone)" subject "$run" "$repo" \
      bash -c "rm -f .git/tenantctl-render-memo .git/tenantctl-parse-memo && $TENANTCTL validate"
    ((quick)) && continue
    measure "$n" "validate guilds" "tenantctl validate (guild-only copy)" subject "$run" "$gonly" \
      "$TENANTCTL" validate
    measure "$n" "validate guilds" "ajv-cli" ref "$run" "$repo" \
      "$AJV" validate --spec=draft2020 -c ajv-formats -s schemas/guild.schema.json -d "$guild_glob"
    ((run == 1)) && expect_count ajv-cli "$n" "$(grep -c ' valid$' "$log")"
    measure "$n" "validate guilds" "check-jsonschema" ref "$run" "$repo" bash -c \
      "find guilds -name '*.yaml' -print0 | xargs -0 $CHECK_JSONSCHEMA -vv --schemafile schemas/guild.schema.json"
    ((run == 1)) && expect_count check-jsonschema "$n" "$(grep -c '^  guilds/' "$log")"
    measure "$n" "validate guilds" "cat" ref "$run" "$repo" bash -c \
      "find guilds -name '*.yaml' -print0 | xargs -0 cat >/dev/null"
    measure "$n" "validate guilds + tenants" "ajv-cli" ref "$run" "$repo" bash -c \
      "$AJV validate --spec=draft2020 -c ajv-formats -s schemas/guild.schema.json -d '$guild_glob' && $AJV validate --spec=draft2020 -c ajv-formats -s schemas/tenant.schema.json -d '$tenant_glob'"
    ((run == 1)) && expect_count ajv-cli "$((2 * n))" "$(grep -c ' valid$' "$log")"
    measure "$n" "validate guilds + tenants" "check-jsonschema" ref "$run" "$repo" bash -c \
      "find guilds -name '*.yaml' -print0 | xargs -0 $CHECK_JSONSCHEMA -vv --schemafile schemas/guild.schema.json && find tenants -name '*.yaml' -print0 | xargs -0 $CHECK_JSONSCHEMA -vv --schemafile schemas/tenant.schema.json"
    ((run == 1)) && expect_count check-jsonschema "$((2 * n))" "$(grep -c '^  \(guilds\|tenants\)/' "$log")"
    measure "$n" "validate guilds + tenants" "cat" ref "$run" "$repo" bash -c \
      "find guilds tenants -name '*.yaml' -print0 | xargs -0 cat >/dev/null"
  done

  # --- render --------------------------------------------------------------------------------
  local fresh=$d/fresh dest=$d/copy
  if ((!quick)); then
    mkdir -p "$fresh"
    tar -C "$repo" --exclude=./.git -cf - . | tar -C "$fresh" -xf -
  fi
  for ((run = 1; run <= runs; run++)); do
    say "n=$n: render, run $run/$runs"
    if ((!quick)); then
      rm -rf "$fresh/kustomize/guilds" "$fresh/kustomize/tenants"
      measure "$n" render "tenantctl render (first: no overlays yet)" subject "$run" "$fresh" \
        "$TENANTCTL" render
      rm -rf "$dest"
      mkdir -p "$dest"
      measure "$n" render "cp -r (the rendered overlays)" ref "$run" "$repo" \
        cp -r kustomize/guilds kustomize/tenants "$dest/"
    fi
    measure "$n" render "tenantctl render (no-op)" subject "$run" "$repo" "$TENANTCTL" render
    measure "$n" render "tenantctl render --check" subject "$run" "$repo" "$TENANTCTL" render --check
  done
  if ((!quick)); then
    diff -r "$repo/kustomize/guilds" "$fresh/kustomize/guilds" >/dev/null &&
      diff -r "$repo/kustomize/tenants" "$fresh/kustomize/tenants" >/dev/null ||
      die "n=$n: the first render differs from the committed one"
  fi
  printf '%s\trendered overlays: %s files in %s directories (kustomize/guilds + kustomize/tenants)\n' \
    "$n" "$(find "$repo/kustomize/guilds" "$repo/kustomize/tenants" -type f | wc -l)" \
    "$(find "$repo/kustomize/guilds" "$repo/kustomize/tenants" -mindepth 1 -maxdepth 1 -type d | wc -l)" >>"$notes"
  # What Argo CD's repo server clones per Application: files and bytes of each overlay kind.
  local kind files bytes
  for kind in guilds tenants; do
    files=$(find "$repo/kustomize/$kind" -type f | wc -l)
    bytes=$(find "$repo/kustomize/$kind" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    printf '%s\tper %s: %s files, %s bytes on average (kustomize/%s: %s files, %s bytes)\n' \
      "$n" "${kind%s}" "$(awk -v f="$files" -v n="$n" 'BEGIN {printf "%.1f", f / n}')" \
      "$(awk -v b="$bytes" -v n="$n" 'BEGIN {printf "%.0f", b / n}')" "$kind" "$files" "$bytes" >>"$notes"
  done
  rm -rf "$fresh" "$dest" "$gonly"

  # --- kubectl kustomize: our overlay vs a strategic-merge one of the same pro guild ---------
  local gid=100000000000000001 smp=$repo/bench-smp/guild-100000000000000001
  mkdir -p "$smp"
  for f in kustomization.yaml deployments-patch.yaml; do
    sed "s/@GUILD_ID@/$gid/g" "$bench/smp-overlay/$f" >"$smp/$f"
  done
  cp "$repo/kustomize/guilds/guild-$gid/isolation.yaml" "$repo/kustomize/guilds/guild-$gid/leader-election.yaml" \
    "$repo/kustomize/guilds/guild-$gid/availability.yaml" "$smp/"
  kubectl kustomize "$repo/kustomize/guilds/guild-$gid" >"$d/ours.yaml"
  kubectl kustomize "$smp" >"$d/smp.yaml"
  if diff -u "$d/ours.yaml" "$d/smp.yaml" >"$d/smp.diff"; then
    printf '%s\tkustomize: both overlays of guild %s build the same %s objects, byte for byte\n' "$n" "$gid" \
      "$(grep -c '^kind:' "$d/ours.yaml")" >>"$notes"
  else
    say "n=$n: the strategic-merge overlay builds something else than ours:"
    head -n 40 "$d/smp.diff" >&2
    printf '%s\tkustomize: the strategic-merge overlay does NOT build the same objects (%s diff lines)\n' \
      "$n" "$(wc -l <"$d/smp.diff")" >>"$notes"
  fi
  for ((run = 1; run <= runs; run++)); do
    say "n=$n: kubectl kustomize, run $run/$runs"
    measure "$n" "kubectl kustomize (one pro guild)" "tenantctl's overlay (replicas + JSON6902)" subject "$run" "$repo" \
      kubectl kustomize "kustomize/guilds/guild-$gid"
    measure "$n" "kubectl kustomize (one pro guild)" "strategic-merge overlay (bench/smp-overlay)" ref "$run" "$repo" \
      kubectl kustomize "bench-smp/guild-$gid"
  done
  rm -rf "$repo/bench-smp"

  # --- apps: what the ApplicationSets generate ----------------------------------------------
  local appsets
  appsets=$(cat "$repo"/kustomize/argocd/*.yaml | grep -c '^kind: ApplicationSet$' || true)
  if (cd "$repo" && "$TENANTCTL" apps --output json) >"$d/apps.json" 2>"$d/apps.err"; then
    printf '%s\tArgo CD: %s ApplicationSets (kustomize/argocd) generate %s (`tenantctl apps --output json`)\n' "$n" "$appsets" \
      "$(python3 -c '
import collections, json, sys
apps = json.load(open(sys.argv[1]))
per = collections.Counter(a["application_set"] for a in apps)
print(f"{len(apps)} Applications: " + ", ".join(f"{k} {v}" for k, v in sorted(per.items())))
' "$d/apps.json")" >>"$notes"
    for ((run = 1; run <= runs; run++)); do
      say "n=$n: apps, run $run/$runs"
      measure "$n" "apps" "tenantctl apps --output json" subject "$run" "$repo" "$TENANTCTL" apps --output json
    done
  else
    printf '%s\tArgo CD: %s ApplicationSets; `tenantctl apps` failed (%s), so counted files: %s guild files, %s tenant files\n' \
      "$n" "$appsets" "$(tail -n 1 "$d/apps.err")" "$(find "$repo/guilds" -name 'guild-*.yaml' | wc -l)" \
      "$(find "$repo/tenants" -name '*.yaml' | wc -l)" >>"$notes"
  fi

  # --- create: a new guild and a new tenant, committed and pushed ---------------------------
  # The first command after a commit tenantctl did not make (here: a hand-edited README) renders
  # and checks the whole repo; on a commit it made, it renders only what the change touches.
  for ((run = 1; run <= runs; run++)); do
    say "n=$n: create-guild after a hand-made commit, create-guild and create-tenant, run $run/$runs"
    # The commit made by hand is measured too: git's own floor for one changed file (add,
    # commit, push). Any tool that keeps the repo in git pays it, and it grows with the repo:
    # git reads and rewrites an index of every file, the generated ones included.
    echo "bench run $run" >>"$repo/BENCH-NOTES.md"
    measure "$n" create "git add + commit + push of one file by hand (git's own floor)" scale "$run" "$repo" \
      bash -c "git add BENCH-NOTES.md && git commit -q -m 'bench: a commit made by hand ($run)' && git push -q origin main"
    measure "$n" create "tenantctl create-guild (after a commit made by hand)" scale "$run" "$repo" \
      "$TENANTCTL" create-guild "$((300000000000000000 + run))" --tier free
    measure "$n" create "tenantctl create-guild" scale "$run" "$repo" \
      "$TENANTCTL" create-guild "$((200000000000000000 + run))" --tier free
    local tid=bench-new-$run
    measure "$n" create "tenantctl create-tenant" scale "$run" "$repo" \
      "$TENANTCTL" create-tenant "$tid" --type staging --image-tag v1.2.3 \
      --domain "$tid.shops.example.com" --tls-secret "$tid-tls" --services api,frontend,worker,scheduler \
      --cpu-limit 4 --memory-limit 8Gi --storage-limit 20Gi --backup-schedule "0 3 * * *" \
      --backup-retention 30d --customer-name "Bench New $run" --customer-email "admin@$tid.shops.example.com" \
      --billing-tier premium --feature api-access
  done
  local pushed
  pushed=$(git -C "$remote" log --format=%s main | grep -c '^Add \(guild\|tenant\) ' || true)
  [[ $pushed == $((3 * runs)) ]] || die "n=$n: the remote has $pushed create commits, not $((3 * runs))"
  [[ $(git -C "$remote" rev-parse main) == $(git -C "$repo" rev-parse HEAD) ]] ||
    die "n=$n: the remote's main is not the local HEAD after the creates"

  say "n=$n: done"
  rm -rf "$d"
}

for n in "${sizes[@]}"; do
  bench_size "$n"
done

python3 "$bench/report.py" "$meta" "$raw" "$notes" "$commands" >"$work/results.md"
cp "$work/results.md" "$out"
cat "$work/results.md"
say "wrote $out"
