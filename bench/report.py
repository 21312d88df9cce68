#!/usr/bin/env python3
"""Turn bench/run.sh's raw measurements into bench/results.md (printed to stdout).

usage: report.py META RAW NOTES COMMANDS  (tab-separated files written by run.sh)

RAW rows: n, work, tool, role, run, seconds, peak RSS KiB. Roles: "subject" rows get the ratio of
their median to each "ref" row's median within the same work and N; "scale" rows get the ratio of
their median to the same tool's at the smallest N.
"""
import statistics
import sys
from collections import OrderedDict, defaultdict


def read_tsv(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def secs(x):
    if x < 10:
        return f"{x:.3f}"
    if x < 100:
        return f"{x:.2f}"
    return f"{x:.1f}"


def ratio(x):
    if x < 10:
        return f"{x:.2f}×"
    if x < 100:
        return f"{x:.1f}×"
    return f"{x:.0f}×"


def main():
    meta_path, raw_path, notes_path, commands_path = sys.argv[1:5]
    meta = dict((row[0], row[1] if len(row) > 1 else "") for row in read_tsv(meta_path))
    smallest = int(meta["smallest"])

    # (n, work, tool) -> {"role", "secs": [], "rss": []}, in order of first appearance
    cells = OrderedDict()
    for n, work, tool, role, _run, s, rss in read_tsv(raw_path):
        cell = cells.setdefault((int(n), work, tool), {"role": role, "secs": [], "rss": []})
        cell["secs"].append(float(s))
        cell["rss"].append(int(rss))
    notes = defaultdict(list)
    for n, text in read_tsv(notes_path):
        notes[int(n)].append(text)

    out = []
    w = out.append
    w("# tenantctl benchmark (`make bench`)")
    w("")
    only = meta.get("only_tenantctl")
    reproduce = f"BENCH_SIZES=\"{meta['sizes']}\" BENCH_RUNS={meta['runs']}"
    if only:
        reproduce += f" BENCH_ONLY_TENANTCTL=\"{only}\" BENCH_OUT=<this file>"
    w("Written by `bench/run.sh` (overwritten on every run). Reproduce with "
      f"`{reproduce} make bench`.")
    if only:
        w("")
        w(f"At N = {only} only tenantctl is measured (BENCH_ONLY_TENANTCTL): no peers, no "
          "guild-only copy, and the first render is timed once, in the setup.")
    w("")
    w(f"- date: {meta['date']}")
    w(f"- machine: {meta['machine']}; CPU: {meta['cpu']}; memory: {meta['memory']}")
    w(f"- tenantctl: `{meta['tenantctl']}`, repository at commit {meta['commit']}")
    w(f"- peers: ajv-cli {meta['ajv-cli']}; check-jsonschema {meta['check-jsonschema']}; "
      f"{meta['kubectl']}; {meta['git']}; {meta['coreutils']}")
    floor_mib = int(meta["rss_floor"]) / 1024
    w(f"- {meta['runs']} runs of each measurement, the tools of one comparison interleaved; "
      "median and min–max of the wall time; peak RSS is the largest of the runs' peaks "
      "(`bench/measure.py`: getrusage of the waited-for children, so the largest single process "
      "of a pipeline, not their sum). measure.py forks from Python, so no peak reads below "
      f"{floor_mib:.1f} MiB (what `true` measures).")
    w("- ratio: this row's median ÷ the reference's median (above 1: slower than the reference). "
      "create rows: ÷ the same command at the smallest N. Every measured command exited 0; "
      "ajv-cli and check-jsonschema were checked to report every file, and to refuse a bad guild.")
    w("- what is compared: the peers check the JSON Schemas only; `tenantctl validate` also "
      "checks `tenantctl.yaml`, the rules beyond the schemas (README: Guild files, Tenant files), "
      "that the rendered files are current and, in the git repo, that the files are committed. "
      "`cat` is the floor: reading the same files. `cp -r` copies the rendered overlays that "
      "`tenantctl render` writes.")
    w("- caches: in the git repo, `validate`, `render` and `render --check` find an overlay whose "
      "inputs are unchanged current without rendering it, when its files still have the blob ids "
      "`.git/tenantctl-render-memo` recorded (the setup's render and validate wrote it), and "
      "every command takes an unchanged guild or tenant file's parsed value from "
      "`.git/tenantctl-parse-memo`; the \"no memos\" row removes both first, as in a fresh "
      "clone. The guild-only copy and the first render have no `.git`, so no memo. The "
      "\"git's own floor\" row is the commit made by hand: `git add`, `git commit` and "
      "`git push` of one changed file. create-guild and create-tenant build on a commit "
      "tenantctl made (`.git/tenantctl-verified-trees`) and render only the overlays they touch; "
      "the \"after a commit made by hand\" row runs right after a hand-made commit, so it renders "
      "and checks the whole repo.")
    w("")

    for n in sorted({key[0] for key in cells}):
        w(f"## N = {n}: {n} guilds and {n} tenants")
        w("")
        w("| work | tool | median s | min–max s | peak RSS MiB | ratio to the reference |")
        w("|---|---|---:|---:|---:|---|")
        works = OrderedDict()
        for (cn, work, tool), cell in cells.items():
            if cn == n:
                works.setdefault(work, OrderedDict())[tool] = cell
        for work, tools in works.items():
            refs = [(t, statistics.median(c["secs"])) for t, c in tools.items() if c["role"] == "ref"]
            first = True
            for tool, cell in tools.items():
                med = statistics.median(cell["secs"])
                if cell["role"] == "ref":
                    rel = "reference"
                elif cell["role"] == "scale":
                    base = cells.get((smallest, work, tool))
                    if n == smallest or base is None:
                        rel = f"reference (N = {smallest})"
                    else:
                        rel = f"{ratio(med / statistics.median(base['secs']))} N = {smallest}"
                elif refs:
                    rel = ", ".join(f"{ratio(med / r)} {t}" for t, r in refs if r > 0)
                else:
                    rel = "—"
                w(f"| {work if first else ''} | {tool} | {secs(med)} | "
                  f"{secs(min(cell['secs']))}–{secs(max(cell['secs']))} | "
                  f"{max(cell['rss']) / 1024:.1f} | {rel} |")
                first = False
        w("")
        for text in notes[n]:
            w(f"- {text}")
        w("")

    w("## Commands measured")
    w("")
    w("`$W` is the N's temporary directory: `$W/platform` the config repo (its origin the bare "
      "`$W/remote.git`), `$W/guilds-only` a copy without `.git`, `tenants/` and "
      "`kustomize/tenants/`, `$W/fresh` a copy without `.git` whose `kustomize/guilds` and "
      "`kustomize/tenants` are removed before each first render, `$W/copy` an empty directory "
      "made before each `cp -r`. create-guild and create-tenant use a new ID in each run "
      "(200000000000000000 + run, bench-new-<run>).")
    w("")
    for work, tool, command in read_tsv(commands_path):
        w(f"- {work}, {tool}: `{command}`")
    w("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
