//! The commit itself, judged by real git: client hooks (core.hooksPath included) on an index
//! holding exactly the commit, signing (ssh and openpgp), clean filters, trailers and --author,
//! the preconditions checked before anything is written, review branches, and credentials that
//! never reach a file.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{World, fails_with, ok, text, write_hook};

const GUILD_1: &str = "guilds/guild-1.yaml";
const OVERLAY_1: &str = "kustomize/guilds/guild-1/kustomization.yaml";
const ISOLATION_1: &str = "kustomize/guilds/guild-1/isolation.yaml";
const LEADER_ELECTION_1: &str = "kustomize/guilds/guild-1/leader-election.yaml";

fn hooks_dir(world: &World) -> PathBuf {
    world.platform().join(".git/hooks")
}

/// `git rev-parse <rev>` in `dir`.
fn rev_in(world: &World, dir: &Path, rev: &str) -> String {
    let out = world.git_in(dir, &["rev-parse", "--verify", rev]);
    assert!(
        out.status.success(),
        "rev-parse {rev} in {}: {}",
        dir.display(),
        text(&out.stderr)
    );
    text(&out.stdout).trim().to_string()
}

fn head(world: &World) -> String {
    rev_in(world, &world.platform(), "HEAD")
}

fn remote_main(world: &World) -> String {
    rev_in(world, &world.remote(), "main")
}

/// The state before a command that must change nothing.
struct Before {
    head: String,
    remote: String,
}

impl Before {
    fn take(world: &World) -> Before {
        Before {
            head: head(world),
            remote: remote_main(world),
        }
    }

    /// HEAD and the remote's main are where they were, and neither `paths` exists in the work
    /// tree.
    fn unchanged(&self, world: &World, paths: &[&str]) {
        assert_eq!(head(world), self.head, "HEAD moved");
        assert_eq!(remote_main(world), self.remote, "the remote's main moved");
        for path in paths {
            assert!(
                !world.platform().join(path).exists(),
                "{path} was written to the work tree"
            );
        }
    }
}

// --- hooks -------------------------------------------------------------------------------------

#[test]
fn a_failing_pre_commit_hook_stops_the_command_with_its_output_and_commits_nothing() {
    let world = World::new();
    world.platform_with_remote();
    let before = Before::take(&world);
    write_hook(
        &hooks_dir(&world),
        "pre-commit",
        "#!/bin/sh\necho 'lint: guild files need a ticket number' >&2\nexit 1\n",
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("pre-commit"), "names the hook: {out}");
    assert!(
        out.contains("lint: guild files need a ticket number"),
        "shows the hook's output: {out}"
    );
    assert!(out.contains("--no-verify"), "says how to skip it: {out}");
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
    assert_eq!(
        world.git(&["status", "--porcelain"]),
        "",
        "nothing left behind"
    );
}

/// A pre-commit hook as linters write them: every staged file must be in the work tree with
/// the staged bytes (what `git commit` gives a hook).
const READS_STAGED_FILES: &str = "#!/bin/sh\n\
git diff --cached --name-only --diff-filter=ACMR | while read -r f; do\n\
  test -f \"$f\" || { echo \"missing in the work tree: $f\" >&2; exit 1; }\n\
  git show \":$f\" | cmp -s - \"$f\" || { echo \"not the staged bytes: $f\" >&2; exit 1; }\n\
  echo \"$f\" >> hook-saw\n\
done\n";

#[test]
fn a_pre_commit_hook_reads_the_committed_files_from_the_work_tree() {
    let world = World::new();
    world.platform_with_remote();
    write_hook(&hooks_dir(&world), "pre-commit", READS_STAGED_FILES);
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let saw = world.read("hook-saw");
    assert!(saw.lines().any(|l| l == GUILD_1), "{saw}");
    assert!(saw.lines().any(|l| l == OVERLAY_1), "{saw}");
    // A changed file: the hook reads the new bytes, not the old ones.
    std::fs::remove_file(world.platform().join("hook-saw")).unwrap();
    ok(&world.tenantctl(&["update-guild", "1", "--set", "discord_cpu_limit=150m"]));
    let saw = world.read("hook-saw");
    assert!(saw.lines().any(|l| l == GUILD_1), "{saw}");
    assert_eq!(
        world.git(&["status", "--porcelain", "--untracked-files=no"]),
        "",
        "the work tree ends at the commit"
    );
}

#[test]
fn a_pre_push_hook_reads_the_pushed_files_from_the_work_tree() {
    let world = World::new();
    world.platform_with_remote();
    // As a pre-push test runner would: every file the pushed commit changes is in the work tree
    // with the pushed bytes.
    write_hook(
        &hooks_dir(&world),
        "pre-push",
        "#!/bin/sh\n\
while read -r local_ref local_sha remote_ref remote_sha; do\n\
  git diff-tree -r --no-commit-id --name-only --diff-filter=ACM \"$local_sha\" | while read -r f; do\n\
    git show \"$local_sha:$f\" | cmp -s - \"$f\" || { echo \"not in the work tree: $f\" >&2; exit 1; }\n\
    echo \"$f\" >> pushed-saw\n\
  done || exit 1\n\
done\n",
    );
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let saw = world.read("pushed-saw");
    assert!(saw.lines().any(|l| l == GUILD_1), "{saw}");
    assert_eq!(
        world.git(&["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
}

#[test]
fn a_formatting_hook_that_rewrites_a_staged_file_does_not_stop_the_branch_moving_on() {
    let world = World::new();
    world.platform_with_remote();
    // A formatter that rewrites the files it is shown (and does not stage its change).
    write_hook(
        &hooks_dir(&world),
        "pre-commit",
        "#!/bin/sh\ngit diff --cached --name-only --diff-filter=ACM | while read -r f; do echo '# formatted' >> \"$f\"; done\n",
    );
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    assert!(
        !world.read(GUILD_1).contains("# formatted"),
        "the commit's bytes"
    );
    assert_eq!(
        world.git(&["status", "--porcelain", "--untracked-files=no"]),
        "",
        "the work tree is at the pushed commit"
    );
}

#[test]
fn a_refusing_hook_that_read_the_staged_files_leaves_the_work_tree_as_it_was() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let guild_before = world.read(GUILD_1);
    let before = Before::take(&world);
    write_hook(
        &hooks_dir(&world),
        "pre-commit",
        format!("{READS_STAGED_FILES}echo 'lint says no' >&2\nexit 1\n"),
    );
    fails_with(
        &world.tenantctl(&["update-guild", "1", "--set", "discord_cpu_limit=150m"]),
        3,
    );
    assert!(
        world.read("hook-saw").contains(GUILD_1),
        "the hook read the new file"
    );
    assert_eq!(world.read(GUILD_1), guild_before, "the old file is back");
    fails_with(
        &world.tenantctl(&["create-guild", "2", "--tier", "free"]),
        3,
    );
    before.unchanged(
        &world,
        &[
            "guilds/guild-2.yaml",
            "kustomize/guilds/guild-2/kustomization.yaml",
        ],
    );
    assert!(
        !world.platform().join("kustomize/guilds/guild-2").exists(),
        "the folder made for the staged files is gone too"
    );
    assert_eq!(
        world.git(&["status", "--porcelain", "--untracked-files=no"]),
        "",
        "nothing left behind"
    );
}

#[test]
fn a_pre_commit_hook_found_through_core_hooks_path_runs_too() {
    let world = World::new();
    world.platform_with_remote();
    // As husky and similar tools set it up: a hooks directory inside the repo, relative path.
    write_hook(
        &world.platform().join(".githooks"),
        "pre-commit",
        "#!/bin/sh\necho 'refused by the shared hooks directory'\nexit 1\n",
    );
    world.git(&["add", ".githooks"]);
    world.git(&["commit", "-qm", "shared hooks"]);
    world.git(&["push", "-q", "origin", "main"]);
    world.git(&["config", "core.hooksPath", ".githooks"]);
    // A hook in .git/hooks that would pass is not the one git runs.
    write_hook(&hooks_dir(&world), "pre-commit", "#!/bin/sh\nexit 0\n");
    let before = Before::take(&world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(
        out.contains("refused by the shared hooks directory"),
        "the core.hooksPath hook ran and its stdout is shown: {out}"
    );
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );

    // An absolute core.hooksPath outside the repo works the same.
    let outside = world.path().join("hooks-outside");
    write_hook(
        &outside,
        "pre-commit",
        "#!/bin/sh\necho 'refused from outside' >&2\nexit 1\n",
    );
    world.git(&["config", "core.hooksPath", outside.to_str().unwrap()]);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("refused from outside"), "{out}");
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
}

#[test]
fn a_commit_msg_hook_may_edit_the_message() {
    let world = World::new();
    world.platform_with_remote();
    write_hook(
        &hooks_dir(&world),
        "commit-msg",
        "#!/bin/sh\nprintf 'Change-Id: I0123456789abcdef\\n' >> \"$1\"\n",
    );
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let message = world.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.contains("Change-Id: I0123456789abcdef"),
        "the hook's line is in the commit: {message}"
    );
    assert!(
        message.starts_with("Add guild 1 (free)"),
        "the subject is kept: {message}"
    );
    assert!(message.contains("Guild-Id: 1"), "{message}");
    assert_eq!(
        remote_main(&world),
        head(&world),
        "the edited commit is the one pushed"
    );
}

#[test]
fn a_commit_msg_hook_that_fails_stops_the_command() {
    let world = World::new();
    world.platform_with_remote();
    let before = Before::take(&world);
    write_hook(
        &hooks_dir(&world),
        "commit-msg",
        "#!/bin/sh\ngrep -q 'JIRA-' \"$1\" || { echo 'commit message needs a JIRA- reference' >&2; exit 1; }\n",
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("commit-msg"), "{out}");
    assert!(
        out.contains("commit message needs a JIRA- reference"),
        "{out}"
    );
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
}

#[test]
fn hooks_see_an_index_holding_exactly_the_new_commit() {
    let world = World::new();
    world.platform_with_remote();
    // The user's own index has something staged: the hook must not see it.
    world.write("notes.txt", "mine\n");
    world.git(&["add", "notes.txt"]);
    let seen = world.path().join("seen-by-pre-commit.txt");
    let seen_msg = world.path().join("seen-by-prepare-commit-msg.txt");
    write_hook(
        &hooks_dir(&world),
        "pre-commit",
        format!(
            "#!/bin/sh\ngit diff --cached --name-only > '{}'\n",
            seen.display()
        ),
    );
    write_hook(
        &hooks_dir(&world),
        "prepare-commit-msg",
        format!(
            "#!/bin/sh\n{{ echo \"source=$2\"; git diff --cached --name-only; }} > '{}'\n",
            seen_msg.display()
        ),
    );
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let listed = std::fs::read_to_string(&seen).expect("the pre-commit hook ran");
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
        "the pre-commit hook saw exactly the commit's paths"
    );
    let listed = std::fs::read_to_string(&seen_msg).expect("prepare-commit-msg ran");
    assert_eq!(
        listed.lines().collect::<Vec<_>>(),
        [
            "source=message",
            GUILD_1,
            ISOLATION_1,
            OVERLAY_1,
            LEADER_ELECTION_1
        ],
    );
    let status = world.git(&["status", "--porcelain"]);
    assert!(
        status.contains("A  notes.txt"),
        "the user's index is untouched: {status}"
    );
}

#[test]
fn a_post_commit_hook_runs_after_the_branch_moved() {
    let world = World::new();
    world.platform_with_remote();
    let seen = world.path().join("post-commit.txt");
    write_hook(
        &hooks_dir(&world),
        "post-commit",
        format!(
            "#!/bin/sh\ngit log -1 --format=%s HEAD > '{}'\nexit 1\n",
            seen.display()
        ),
    );
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    assert_eq!(
        std::fs::read_to_string(&seen)
            .expect("post-commit ran")
            .trim(),
        "Add guild 1 (free)",
        "HEAD is the new commit when post-commit runs"
    );
}

#[test]
fn a_failing_pre_push_hook_pushes_nothing() {
    let world = World::new();
    world.platform_with_remote();
    let before = Before::take(&world);
    write_hook(
        &hooks_dir(&world),
        "pre-push",
        "#!/bin/sh\necho 'pre-push: tests must pass first' >&2\nexit 1\n",
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(
        out.contains("pre-push: tests must pass first"),
        "the hook's output is shown: {out}"
    );
    assert_eq!(remote_main(&world), before.remote, "nothing pushed");
    assert!(
        !world.remote_files().contains(&GUILD_1.to_string()),
        "the remote has no guild file"
    );
    // As for any refused push, the commit stays in this clone for `tenantctl push`.
    assert!(out.contains("kept locally"), "{out}");
    assert!(out.contains("tenantctl push"), "{out}");
}

#[test]
fn a_failing_pre_push_hook_is_named_with_the_way_around_it() {
    let world = World::new();
    world.platform_with_remote();
    write_hook(
        &hooks_dir(&world),
        "pre-push",
        "#!/bin/sh\necho 'the test suite failed' >&2\nexit 1\n",
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("the test suite failed"), "{out}");
    // Like the pre-commit and commit-msg refusals: the hook is named and --no-verify offered,
    // not a network problem.
    assert!(out.contains("pre-push"), "names the hook: {out}");
    assert!(out.contains("--no-verify"), "says how to skip it: {out}");
    assert!(
        !out.contains("check the network"),
        "a hook's refusal is no network problem: {out}"
    );
}

#[test]
fn no_verify_skips_pre_commit_commit_msg_and_pre_push() {
    let world = World::new();
    world.platform_with_remote();
    for hook in ["pre-commit", "commit-msg", "pre-push"] {
        write_hook(
            &hooks_dir(&world),
            hook,
            format!("#!/bin/sh\necho '{hook} ran'\nexit 1\n"),
        );
    }
    fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    let out = ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--no-verify"]));
    assert!(!out.contains(" ran"), "no hook ran: {out}");
    assert!(world.remote_files().contains(&GUILD_1.to_string()));
    assert_eq!(head(&world), remote_main(&world));
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Add guild 1 (free)"
    );
}

// --- signing -----------------------------------------------------------------------------------

/// An ed25519 key for ssh signing, and an allowed-signers file trusting it for the test identity.
fn ssh_signing_key(world: &World) -> (PathBuf, PathBuf) {
    let key = world.home().join("signing_key");
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "test@example.com",
            "-f",
        ])
        .arg(&key)
        .output()
        .expect("ssh-keygen (OpenSSH) is installed");
    assert!(out.status.success(), "ssh-keygen: {}", text(&out.stderr));
    let public = key.with_extension("pub");
    let allowed = world.home().join("allowed_signers");
    let public_text = std::fs::read_to_string(&public).unwrap();
    let mut fields = public_text.split_whitespace();
    let (kind, blob) = (fields.next().unwrap(), fields.next().unwrap());
    std::fs::write(&allowed, format!("test@example.com {kind} {blob}\n")).unwrap();
    (public, allowed)
}

#[test]
fn commit_gpgsign_with_an_ssh_key_signs_the_commit() {
    let world = World::new();
    world.platform_with_remote();
    let (public, allowed) = ssh_signing_key(&world);
    world.git(&["config", "gpg.format", "ssh"]);
    world.git(&["config", "user.signingkey", public.to_str().unwrap()]);
    world.git(&[
        "config",
        "gpg.ssh.allowedSignersFile",
        allowed.to_str().unwrap(),
    ]);
    world.git(&["config", "commit.gpgsign", "true"]);
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let verify = world.git_in(&world.platform(), &["verify-commit", "HEAD"]);
    assert!(
        verify.status.success(),
        "git verify-commit HEAD: {}{}",
        text(&verify.stdout),
        text(&verify.stderr)
    );
    let log = world.git(&["log", "-1", "--show-signature", "--format=%G? %s"]);
    assert!(
        log.contains("Good \"git\" signature for test@example.com"),
        "{log}"
    );
    assert!(log.contains("G Add guild 1 (free)"), "{log}");
    assert_eq!(
        head(&world),
        remote_main(&world),
        "the signed commit pushed"
    );
}

#[test]
fn a_signing_key_that_is_missing_fails_before_anything_is_committed() {
    let world = World::new();
    world.platform_with_remote();
    let before = Before::take(&world);
    let missing = world.home().join("no_such_key.pub");
    world.git(&["config", "gpg.format", "ssh"]);
    world.git(&["config", "user.signingkey", missing.to_str().unwrap()]);
    world.git(&["config", "commit.gpgsign", "true"]);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("signing the commit failed"), "{out}");
    assert!(out.contains("user.signingkey"), "says what to check: {out}");
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// gpg with the world's HOME (its keyring under HOME/.gnupg); stops its agent on drop.
struct Gpg<'a> {
    world: &'a World,
}

impl Gpg<'_> {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("gpg")
            .env("HOME", self.world.home())
            .env_remove("GNUPGHOME")
            .args(["--batch", "--no-tty"])
            .args(args)
            .output()
            .expect("run gpg")
    }
}

impl Drop for Gpg<'_> {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("HOME", self.world.home())
            .env_remove("GNUPGHOME")
            .args(["--kill", "all"])
            .output();
    }
}

/// gpg must be there (`.ci/run` installs gnupg): a signing test that skipped itself would pass
/// without judging anything.
fn require_gpg() {
    assert!(
        find_in_path("gpg").is_some(),
        "gpg is not installed (apt-get install gnupg); .ci/run installs it"
    );
}

#[test]
fn commit_gpgsign_with_an_openpgp_key_signs_the_commit() {
    require_gpg();
    let world = World::new();
    world.platform_with_remote();
    let gnupg = world.home().join(".gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    let gpg = Gpg { world: &world };
    let made = gpg.run(&[
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--quick-generate-key",
        "Test Author <test@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    assert!(made.status.success(), "gpg: {}", text(&made.stderr));
    world.git(&["config", "user.signingkey", "test@example.com"]);
    world.git(&["config", "commit.gpgsign", "true"]);
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let verify = world.git_in(&world.platform(), &["verify-commit", "HEAD"]);
    assert!(
        verify.status.success(),
        "git verify-commit HEAD: {}",
        text(&verify.stderr)
    );
    assert!(
        text(&verify.stderr).contains("Good signature from \"Test Author <test@example.com>\""),
        "{}",
        text(&verify.stderr)
    );
    drop(gpg);
}

#[test]
fn an_openpgp_signing_key_that_is_missing_fails_before_anything_is_committed() {
    require_gpg();
    let world = World::new();
    world.platform_with_remote();
    let gnupg = world.home().join(".gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    let gpg = Gpg { world: &world };
    world.git(&["config", "user.signingkey", "nobody@example.com"]);
    world.git(&["config", "commit.gpgsign", "true"]);
    let before = Before::take(&world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("sign"), "says signing failed: {out}");
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
    drop(gpg);
}

// --- clean filters -----------------------------------------------------------------------------

/// The guild file tenantctl writes for `create-guild <id> --tier free`, without any filter.
fn unfiltered_guild_file(id: &str) -> String {
    let plain = World::new();
    ok(&plain.tenantctl_in(plain.path(), &["init", "platform", "--no-commit"]));
    ok(&plain.tenantctl(&["create-guild", id, "--tier", "free", "--no-commit"]));
    plain.read(&format!("guilds/guild-{id}.yaml"))
}

#[test]
fn blobs_go_through_the_clean_filter_named_in_gitattributes() {
    let world = World::new();
    world.platform_with_remote();
    world.write(".gitattributes", "guilds/*.yaml filter=shout\n");
    world.git(&["config", "filter.shout.clean", "tr a-z A-Z"]);
    world.git(&["config", "filter.shout.smudge", "cat"]);
    world.git(&["add", ".gitattributes"]);
    world.git(&["commit", "-qm", "shout guild files"]);
    world.git(&["push", "-q", "origin", "main"]);

    ok(&world.tenantctl(&["create-guild", "5", "--tier", "free"]));
    let blob = world.git(&["cat-file", "-p", "HEAD:guilds/guild-5.yaml"]);
    let expected = unfiltered_guild_file("5").to_uppercase();
    assert!(
        expected.contains("GUILD") && !expected.chars().any(|c| c.is_ascii_lowercase()),
        "{expected}"
    );
    assert_eq!(
        blob, expected,
        "the committed bytes are the filter's output"
    );
    let overlay = world.git(&[
        "cat-file",
        "-p",
        "HEAD:kustomize/guilds/guild-5/kustomization.yaml",
    ]);
    assert!(
        overlay.chars().any(|c| c.is_ascii_lowercase()),
        "paths without the attribute are stored as they are: {overlay}"
    );
    // The blob id is the one `git add` of the same bytes gives.
    let added = world.git_in(
        &world.platform(),
        &["ls-files", "--stage", "guilds/guild-5.yaml"],
    );
    let staged = text(&added.stdout);
    let tree = world.git(&["rev-parse", "HEAD:guilds/guild-5.yaml"]);
    assert!(staged.contains(tree.trim()), "{staged} vs {tree}");
    assert_eq!(
        world.git(&["status", "--porcelain"]),
        "",
        "git sees the work tree as clean"
    );
    assert_eq!(world.remote_file("guilds/guild-5.yaml"), expected);
}

#[test]
fn a_failing_clean_filter_stops_the_command_before_anything_is_committed() {
    let world = World::new();
    world.platform_with_remote();
    world.write(".gitattributes", "guilds/*.yaml filter=broken\n");
    world.git(&[
        "config",
        "filter.broken.clean",
        "echo 'no key to encrypt with' >&2; exit 1",
    ]);
    world.git(&["config", "filter.broken.smudge", "cat"]);
    world.git(&["config", "filter.broken.required", "true"]);
    world.git(&["add", ".gitattributes"]);
    world.git(&["commit", "-qm", "encrypt guild files"]);
    world.git(&["push", "-q", "origin", "main"]);
    let before = Before::take(&world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "5", "--tier", "free"]),
        3,
    );
    assert!(
        out.contains("clean filter for guilds/guild-5.yaml failed"),
        "{out}"
    );
    before.unchanged(
        &world,
        &[
            "guilds/guild-5.yaml",
            "kustomize/guilds/guild-5/kustomization.yaml",
        ],
    );
}

#[test]
fn gitattributes_from_the_remote_head_apply_to_the_commit_built_on_it() {
    // A teammate turns the filter on (git-crypt style) and pushes; this clone has not pulled.
    // The commit is built on the remote's head, whose .gitattributes say the guild file is
    // filtered: its blob must be the filtered bytes, as `git add` after a pull would make it.
    let world = World::new();
    world.platform_with_remote();
    world.git(&["config", "filter.shout.clean", "tr a-z A-Z"]);
    world.git(&["config", "filter.shout.smudge", "cat"]);
    let remote = world.remote();
    assert!(
        world
            .git_in(
                world.path(),
                &["clone", "-q", remote.to_str().unwrap(), "other"]
            )
            .status
            .success()
    );
    let other = world.path().join("other");
    std::fs::write(other.join(".gitattributes"), "guilds/*.yaml filter=shout\n").unwrap();
    for args in [
        &["add", ".gitattributes"][..],
        &["commit", "-qm", "shout guild files"],
        &["push", "-q", "origin", "main"],
    ] {
        let out = world.git_in(&other, args);
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    }
    ok(&world.tenantctl(&["create-guild", "5", "--tier", "free"]));
    assert!(
        world.platform().join(".gitattributes").exists(),
        "the clone took the teammate's commit"
    );
    let blob = world.git(&["cat-file", "-p", "HEAD:guilds/guild-5.yaml"]);
    assert_eq!(
        blob,
        unfiltered_guild_file("5").to_uppercase(),
        "the committed guild file went through the filter its own tree names"
    );
}

// --- trailers and author -----------------------------------------------------------------------

#[test]
fn guild_commits_carry_trailers_git_log_can_search() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "7", "--tier", "free"]));
    let message = world.git(&["log", "-1", "--format=%B"]);
    for trailer in ["Guild-Id: 7", "Tier: free", "Generated-By: tenantctl "] {
        assert!(message.contains(trailer), "{trailer} in: {message}");
    }
    // git itself parses them as trailers.
    let parsed = world.git(&["log", "-1", "--format=%(trailers:only,unfold)"]);
    assert!(parsed.contains("Guild-Id: 7\n"), "{parsed}");
    assert!(parsed.contains("Tier: free\n"), "{parsed}");
    assert!(
        parsed.contains(&format!(
            "Generated-By: tenantctl {}\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{parsed}"
    );
    ok(&world.tenantctl(&["create-guild", "8", "--tier", "pro"]));
    ok(&world.tenantctl(&["update-guild", "8", "--tier", "free"]));
    let found = world.git(&["log", "--grep", "Guild-Id: 7", "--format=%s"]);
    assert_eq!(found.lines().collect::<Vec<_>>(), ["Add guild 7 (free)"]);
    let found = world.git(&[
        "log",
        "--grep",
        "Guild-Id: 8",
        "--format=%(trailers:key=Tier,valueonly)",
    ]);
    assert_eq!(
        found.split_whitespace().collect::<Vec<_>>(),
        ["free", "pro"],
        "the audit trail of guild 8's tier: {found}"
    );
}

#[test]
fn tenant_commits_carry_trailers_git_log_can_search() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-a", "--type", "development"]));
    ok(&world.tenantctl(&[
        "create-tenant",
        "shop-b",
        "--type",
        "production",
        "--image-tag",
        "v1.0.0",
    ]));
    let found = world.git(&["log", "--grep", "Tenant-Id: shop-a", "--format=%H"]);
    assert_eq!(found.lines().count(), 1, "exactly one commit: {found}");
    let message = world.git(&["log", "-1", "--format=%B", found.trim()]);
    for trailer in [
        "Tenant-Id: shop-a",
        "Tier: development",
        "Generated-By: tenantctl ",
    ] {
        assert!(message.contains(trailer), "{trailer} in: {message}");
    }
    let parsed = world.git(&[
        "log",
        "-1",
        "--format=%(trailers:key=Tenant-Id,valueonly)",
        found.trim(),
    ]);
    assert_eq!(parsed.trim(), "shop-a");
}

#[test]
fn author_overrides_the_author_and_the_committer_stays() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&[
        "create-guild",
        "7",
        "--tier",
        "free",
        "--author",
        "Deploy Bot <bot@example.com>",
    ]));
    assert_eq!(
        world
            .git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
            .trim(),
        "Deploy Bot <bot@example.com>|Test Author <test@example.com>"
    );
    let on_remote = world.git_in(
        &world.remote(),
        &["log", "-1", "--format=%an <%ae>", "main"],
    );
    assert_eq!(
        text(&on_remote.stdout).trim(),
        "Deploy Bot <bot@example.com>"
    );

    let before = Before::take(&world);
    let out = fails_with(
        &world.tenantctl(&[
            "create-guild",
            "9",
            "--tier",
            "free",
            "--author",
            "Deploy Bot",
        ]),
        2,
    );
    assert!(out.contains("Name <email>"), "{out}");
    before.unchanged(&world, &["guilds/guild-9.yaml"]);
}

// --- preconditions -----------------------------------------------------------------------------

#[test]
fn a_detached_head_is_refused_before_anything_is_written() {
    let world = World::new();
    world.platform_with_remote();
    world.git(&["checkout", "-q", "--detach"]);
    let before = Before::take(&world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("HEAD is detached"), "{out}");
    assert!(out.contains("git switch main"), "the fix: {out}");
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
    let symbolic = world.git_in(&world.platform(), &["symbolic-ref", "-q", "HEAD"]);
    assert!(!symbolic.status.success(), "still detached");
}

#[test]
fn a_rebase_in_progress_is_refused_before_anything_is_written() {
    let world = world_with_conflicting_topic();
    world.git(&["switch", "-q", "topic"]);
    let rebase = world.git_in(&world.platform(), &["rebase", "main"]);
    assert!(!rebase.status.success(), "the rebase stops on the conflict");
    assert!(world.platform().join(".git/rebase-merge").exists());

    let before = Before::take(&world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("a rebase is in progress"), "{out}");
    assert!(
        out.contains("git rebase --continue") && out.contains("git rebase --abort"),
        "the fix: {out}"
    );
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
    assert!(
        world.platform().join(".git/rebase-merge").exists(),
        "the rebase is left as it was"
    );
}

#[test]
fn a_merge_in_progress_is_refused_before_anything_is_written() {
    let world = world_with_conflicting_topic();
    let merge = world.git_in(&world.platform(), &["merge", "topic"]);
    assert!(!merge.status.success(), "the merge stops on the conflict");

    let before = Before::take(&world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("a merge is in progress"), "{out}");
    assert!(out.contains("git merge --abort"), "the fix: {out}");
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
}

/// A clone whose `main` and a `topic` branch both changed `notes.txt`, main pushed; HEAD on main.
fn world_with_conflicting_topic() -> World {
    let world = World::new();
    world.platform_with_remote();
    world.git(&["switch", "-q", "-c", "topic"]);
    world.write("notes.txt", "topic\n");
    world.git(&["add", "notes.txt"]);
    world.git(&["commit", "-qm", "topic notes"]);
    world.git(&["switch", "-q", "main"]);
    world.write("notes.txt", "main\n");
    world.git(&["add", "notes.txt"]);
    world.git(&["commit", "-qm", "main notes"]);
    world.git(&["push", "-q", "origin", "main"]);
    world
}

/// `create-guild 1` exits 3 naming `what` and `fix`, and changes nothing.
fn refused_while_in_progress(world: &World, what: &str, fix: &str) {
    let before = Before::take(world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains(what), "{out}");
    assert!(out.contains(fix), "the fix: {out}");
    before.unchanged(world, &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1]);
}

#[test]
fn a_cherry_pick_in_progress_is_refused_before_anything_is_written() {
    let world = world_with_conflicting_topic();
    let pick = world.git_in(&world.platform(), &["cherry-pick", "topic"]);
    assert!(
        !pick.status.success(),
        "the cherry-pick stops on the conflict"
    );
    assert!(world.platform().join(".git/CHERRY_PICK_HEAD").exists());
    refused_while_in_progress(
        &world,
        "a cherry-pick is in progress",
        "git cherry-pick --abort",
    );
    assert!(
        world.platform().join(".git/CHERRY_PICK_HEAD").exists(),
        "left as it was"
    );
}

#[test]
fn a_revert_in_progress_is_refused_before_anything_is_written() {
    let world = world_with_conflicting_topic();
    // Reverting "main notes" while the work tree's notes.txt is edited again conflicts.
    world.write("notes.txt", "main, edited\n");
    world.git(&["commit", "-qam", "edit notes"]);
    world.git(&["push", "-q", "origin", "main"]);
    let revert = world.git_in(&world.platform(), &["revert", "--no-edit", "HEAD~1"]);
    assert!(!revert.status.success(), "the revert stops on the conflict");
    assert!(world.platform().join(".git/REVERT_HEAD").exists());
    refused_while_in_progress(&world, "a revert is in progress", "git revert --abort");
}

#[test]
fn a_bisect_in_progress_is_refused_before_anything_is_written() {
    let world = world_with_conflicting_topic();
    world.git(&["bisect", "start"]);
    world.git(&["bisect", "bad", "HEAD"]);
    assert!(world.platform().join(".git/BISECT_LOG").exists());
    refused_while_in_progress(&world, "a bisect is in progress", "git bisect reset");
}

#[test]
fn an_unborn_branch_is_refused_outside_init() {
    let world = World::new();
    world.platform_with_remote();
    // A new branch with no commit yet, holding the same files (staged, as after a fresh `git init`).
    world.git(&["checkout", "-q", "--orphan", "fresh"]);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free", "--offline"]),
        3,
    );
    assert!(
        out.contains("the current branch has no commit yet"),
        "{out}"
    );
    assert!(out.contains("tenantctl init"), "the fix: {out}");
    assert!(!world.platform().join(GUILD_1).exists());
    let head = world.git_in(&world.platform(), &["rev-parse", "--verify", "-q", "HEAD"]);
    assert!(!head.status.success(), "still no commit on the new branch");
}

#[test]
fn an_index_lock_is_waited_for_then_refused_naming_the_file() {
    let world = World::new();
    world.platform_with_remote();
    let lock = world.platform().join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    let before = Before::take(&world);
    let started = std::time::Instant::now();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(1500),
        "it waits for a running git first ({waited:?})"
    );
    let shown = lock.canonicalize().unwrap();
    assert!(
        out.contains(&format!("{} exists", shown.display())),
        "names the file: {out}"
    );
    assert!(
        out.contains(&format!("rm {}", shown.display())),
        "the fix: {out}"
    );
    before.unchanged(
        &world,
        &[GUILD_1, ISOLATION_1, OVERLAY_1, LEADER_ELECTION_1],
    );
    assert!(
        lock.exists(),
        "the lock is not removed behind the user's back"
    );
    assert_eq!(
        world
            .git_in(
                &world.platform(),
                &["status", "--porcelain", "--untracked-files=all"]
            )
            .stdout
            .len(),
        0,
        "no file written"
    );

    // A lock that goes away while it waits (a git command finishing) is no obstacle.
    let remover = {
        let lock = lock.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(500));
            std::fs::remove_file(lock).unwrap();
        })
    };
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    remover.join().unwrap();
    assert!(world.platform().join(GUILD_1).exists());
}

#[test]
fn a_repository_owned_by_another_user_names_safe_directory() {
    let world = World::new();
    world.platform_with_remote();
    let before = Before::take(&world);
    let platform = world.platform().canonicalize().unwrap();
    let chown = Command::new("chown")
        .args(["-R", "65534"])
        .arg(&platform)
        .output()
        .expect("run chown");
    if !chown.status.success() {
        // Only root can give files away; CI runs as root, where this must work.
        let uid = Command::new("id").arg("-u").output().expect("run id");
        assert_ne!(
            text(&uid.stdout).trim(),
            "0",
            "chown failed as root: {}",
            text(&chown.stderr)
        );
        eprintln!(
            "not root: cannot give the clone to another user, so the ownership test cannot run here: {}",
            text(&chown.stderr)
        );
        return;
    }
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("safe.directory"), "{out}");
    assert!(
        out.contains(&format!(
            "git config --global --add safe.directory {}",
            platform.display()
        )),
        "the fix: {out}"
    );
    assert!(!world.platform().join(GUILD_1).exists(), "nothing written");
    assert_eq!(remote_main(&world), before.remote, "nothing pushed");

    // The fix it names works.
    let mut gitconfig = std::fs::read_to_string(world.home().join(".gitconfig")).unwrap();
    gitconfig += &format!("[safe]\n\tdirectory = {}\n", platform.display());
    std::fs::write(world.home().join(".gitconfig"), gitconfig).unwrap();
    assert_eq!(head(&world), before.head, "HEAD unchanged by the refusal");
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    assert!(world.remote_files().contains(&GUILD_1.to_string()));
}

// --- review branches ---------------------------------------------------------------------------

#[test]
fn branch_pushes_a_review_branch_and_leaves_main_alone() {
    let world = World::new();
    world.platform_with_remote();
    let before = Before::take(&world);
    let out = ok(&world.tenantctl(&[
        "create-guild",
        "9",
        "--tier",
        "free",
        "--branch",
        "review/guild-9",
    ]));
    assert!(out.contains("review/guild-9"), "names the branch: {out}");
    before.unchanged(&world, &["guilds/guild-9.yaml"]);
    let remote = world.remote();
    let ahead = world.git_in(&remote, &["rev-list", "main..review/guild-9"]);
    assert!(ahead.status.success(), "{}", text(&ahead.stderr));
    assert_eq!(text(&ahead.stdout).lines().count(), 1, "one commit on main");
    let parent = rev_in(&world, &remote, "review/guild-9^");
    assert_eq!(parent, before.remote, "built on the remote's main");
    let changed = world.git_in(&remote, &["diff", "--name-only", "main", "review/guild-9"]);
    assert_eq!(
        text(&changed.stdout).lines().collect::<Vec<_>>(),
        [
            "guilds/guild-9.yaml",
            "kustomize/guilds/guild-9/isolation.yaml",
            "kustomize/guilds/guild-9/kustomization.yaml",
            "kustomize/guilds/guild-9/leader-election.yaml"
        ]
    );
    assert_eq!(
        world.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main",
        "still on main"
    );
    assert_eq!(
        rev_in(&world, &world.platform(), "review/guild-9"),
        rev_in(&world, &remote, "review/guild-9"),
        "the local review branch is the pushed one"
    );
}

#[test]
fn push_branch_in_tenantctl_yaml_names_the_review_branch_and_an_existing_one_is_refused() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml").replace(
        "git:\n  remote: origin\n",
        "git:\n  remote: origin\n  pushBranch: \"tenantctl/{operation}-{id}\"\n",
    );
    assert!(config.contains("pushBranch"), "{config}");
    world.write("tenantctl.yaml", &config);
    world.git(&["commit", "-qam", "review branches"]);
    world.git(&["push", "-q", "origin", "main"]);
    let before = Before::take(&world);

    let out = ok(&world.tenantctl(&["create-guild", "9", "--tier", "free"]));
    assert!(out.contains("tenantctl/create-guild-9"), "{out}");
    before.unchanged(&world, &["guilds/guild-9.yaml"]);
    let remote = world.remote();
    let ahead = world.git_in(&remote, &["rev-list", "main..tenantctl/create-guild-9"]);
    assert!(ahead.status.success(), "{}", text(&ahead.stderr));
    assert_eq!(text(&ahead.stdout).lines().count(), 1);

    // The same again: the branch exists (here and on the remote).
    let pushed = rev_in(&world, &remote, "tenantctl/create-guild-9");
    let out = fails_with(
        &world.tenantctl(&["create-guild", "9", "--tier", "free"]),
        3,
    );
    assert!(out.contains("tenantctl/create-guild-9"), "{out}");
    assert!(out.contains("already exists"), "{out}");
    assert_eq!(rev_in(&world, &remote, "tenantctl/create-guild-9"), pushed);

    // From another clone that lacks the local branch: the remote's branch is not overwritten.
    assert!(
        world
            .git_in(
                world.path(),
                &["clone", "-q", remote.to_str().unwrap(), "other"]
            )
            .status
            .success()
    );
    let other = world.path().join("other");
    let out = world.tenantctl_in(
        &other,
        &[
            "create-guild",
            "9",
            "--tier",
            "pro",
            "--author",
            "Other Person <other@example.com>",
        ],
    );
    let out = fails_with(&out, 3);
    assert!(out.contains("tenantctl/create-guild-9"), "{out}");
    assert!(out.contains("already exists on origin"), "{out}");
    assert_eq!(rev_in(&world, &remote, "tenantctl/create-guild-9"), pushed);
    assert_eq!(remote_main(&world), before.remote);
}

// --- init and credentials ----------------------------------------------------------------------

#[test]
fn init_strips_credentials_from_the_origin_url_before_writing_it() {
    let world = World::new();
    let repo = world.path().join("fresh");
    assert!(
        world
            .git_in(world.path(), &["init", "-q", "fresh"])
            .status
            .success()
    );
    let added = world.git_in(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "https://bot:s3cr3t@git.example.com/acme/platform.git",
        ],
    );
    assert!(added.status.success());
    let output = world.tenantctl_in(&repo, &["init", "."]);
    let shown = ok(&output);
    let all = format!("{shown}{}", text(&output.stderr));
    assert!(!all.contains("s3cr3t"), "{all}");

    let config = std::fs::read_to_string(repo.join("tenantctl.yaml")).unwrap();
    assert!(
        config.contains("https://git.example.com/acme/platform.git"),
        "{config}"
    );
    let appset =
        std::fs::read_to_string(repo.join("kustomize/argocd/applicationset.yaml")).unwrap();
    assert!(
        appset.contains("repoURL: https://git.example.com/acme/platform.git")
            || appset.contains("repoURL: \"https://git.example.com/acme/platform.git\""),
        "{appset}"
    );
    // (`bot:` alone occurs in the templates' prose: "served by the bot: guilds/...".)
    for needle in ["s3cr3t", "bot:s3cr3t", "://bot", "bot@git.example.com"] {
        for scope in [None, Some("HEAD")] {
            let mut args = vec!["grep", "-n", "-F", "-e", needle];
            args.extend(scope);
            let grep = world.git_in(&repo, &args);
            assert_eq!(
                grep.status.code(),
                Some(1),
                "`{needle}` found in {}: {}{}",
                scope.unwrap_or("the work tree"),
                text(&grep.stdout),
                text(&grep.stderr)
            );
        }
    }
    let remotes = world.git_in(&repo, &["remote", "get-url", "origin"]);
    assert!(
        text(&remotes.stdout).contains("bot:s3cr3t@"),
        "the user's own remote is left as it is"
    );
    let committed = world.git_in(&repo, &["ls-files"]);
    assert!(
        text(&committed.stdout).contains("tenantctl.yaml"),
        "init committed its files"
    );
}

#[test]
fn init_strips_credentials_from_an_explicit_repo_url_too() {
    let world = World::new();
    let output = world.tenantctl_in(
        world.path(),
        &[
            "init",
            "platform",
            "--repo-url",
            "https://x-access-token:ghp_s3cr3t@github.com/acme/platform.git",
        ],
    );
    let all = format!("{}{}", ok(&output), text(&output.stderr));
    assert!(!all.contains("s3cr3t"), "{all}");
    assert!(
        world
            .read("tenantctl.yaml")
            .contains("https://github.com/acme/platform.git"),
        "{}",
        world.read("tenantctl.yaml")
    );
    let grep = world.git_in(&world.platform(), &["grep", "-n", "-F", "s3cr3t", "HEAD"]);
    assert_eq!(
        grep.status.code(),
        Some(1),
        "committed: {}",
        text(&grep.stdout)
    );
}

#[test]
fn credentials_in_the_remote_url_stay_out_of_error_messages() {
    let world = World::new();
    world.platform_with_remote();
    // Nothing listens on port 9 of the loopback: the fetch fails at once.
    world.git(&[
        "remote",
        "set-url",
        "origin",
        "http://bot:s3cr3t@127.0.0.1:9/acme/platform.git",
    ]);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("127.0.0.1:9"), "{out}");
    assert!(!out.contains("s3cr3t"), "{out}");
}
