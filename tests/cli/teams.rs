//! Many writers at once: clones racing for one remote, processes sharing one clone, the same ID
//! from two places, uncommitted inputs, and tenantctl killed at random moments.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{World, fails_with, ok, text, write_hook};

/// `n` clones of the world's remote, named `clone-<i>`.
fn clones(world: &World, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let name = format!("clone-{i}");
            let out = world.git_in(
                world.path(),
                &["clone", "-q", world.remote().to_str().unwrap(), &name],
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            world.path().join(name)
        })
        .collect()
}

fn spawn(world: &World, dir: &Path, args: &[&str]) -> Child {
    world
        .tenantctl_command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tenantctl")
}

fn output_of(child: Child) -> Output {
    child.wait_with_output().expect("tenantctl finishes")
}

/// Git's own verdict on a repository.
fn fsck(world: &World, dir: &Path) {
    let out = world.git_in(dir, &["fsck", "--strict", "--no-progress"]);
    assert!(
        out.status.success(),
        "git fsck --strict in {}: {}{}",
        dir.display(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Every commit on the remote's main has at most one parent.
fn assert_linear(world: &World) {
    let merges = world.git_in(&world.remote(), &["rev-list", "--min-parents=2", "main"]);
    assert!(merges.status.success());
    assert_eq!(text(&merges.stdout), "", "no merge commits on main");
}

/// A fresh clone of the remote renders to itself and validates.
fn assert_remote_renders_to_itself(world: &World, name: &str) -> PathBuf {
    let out = world.git_in(
        world.path(),
        &["clone", "-q", world.remote().to_str().unwrap(), name],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let fresh = world.path().join(name);
    ok(&world.tenantctl_in(&fresh, &["render", "--check"]));
    ok(&world.tenantctl_in(&fresh, &["validate"]));
    fresh
}

fn remote_guilds(world: &World) -> Vec<String> {
    world
        .remote_files()
        .into_iter()
        .filter_map(|p| {
            p.strip_prefix("guilds/guild-")?
                .strip_suffix(".yaml")
                .map(str::to_string)
        })
        .collect()
}

#[test]
fn sixteen_clones_create_sixteen_guilds_at_once_and_all_land_in_a_linear_history() {
    let world = World::new();
    world.platform_with_remote();
    let dirs = clones(&world, 16);
    let ids: Vec<String> = (0..16).map(|i| format!("{}", 5000 + i)).collect();
    let children: Vec<Child> = dirs
        .iter()
        .zip(&ids)
        .map(|(dir, id)| spawn(&world, dir, &["create-guild", id, "--tier", "free"]))
        .collect();
    for (child, id) in children.into_iter().zip(&ids) {
        let out = output_of(child);
        assert!(
            out.status.success(),
            "guild {id}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    let mut landed = remote_guilds(&world);
    landed.sort();
    assert_eq!(landed, ids, "all 16 guilds are on the remote");
    assert_linear(&world);
    fsck(&world, &world.remote());
    let log = world.git_in(&world.remote(), &["log", "--format=%s", "main"]);
    assert_eq!(
        text(&log.stdout).matches("Add guild 50").count(),
        16,
        "one commit per guild"
    );
    // Every clone ends where its own push went: its branch equals the remote at that moment,
    // which contains its guild.
    for (dir, id) in dirs.iter().zip(&ids) {
        let out = world.git_in(dir, &["status", "--porcelain"]);
        assert_eq!(
            text(&out.stdout),
            "",
            "clean work tree in {}",
            dir.display()
        );
        assert!(dir.join(format!("guilds/guild-{id}.yaml")).is_file());
        fsck(&world, dir);
    }
    let fresh = assert_remote_renders_to_itself(&world, "fresh");
    let set = std::fs::read_to_string(fresh.join("kustomize/argocd/applicationset.yaml")).unwrap();
    assert!(set.contains("guilds/guild-*.yaml"), "{set}");
    for id in &ids {
        assert!(
            fresh
                .join(format!("kustomize/guilds/guild-{id}/kustomization.yaml"))
                .is_file(),
            "overlay of {id}"
        );
    }
}

#[test]
fn eight_processes_in_one_clone_take_turns_and_all_land() {
    let world = World::new();
    world.platform_with_remote();
    let ids: Vec<String> = (0..8).map(|i| format!("{}", 7000 + i)).collect();
    let children: Vec<Child> = ids
        .iter()
        .map(|id| {
            spawn(
                &world,
                &world.platform(),
                &["create-guild", id, "--tier", "free"],
            )
        })
        .collect();
    for (child, id) in children.into_iter().zip(&ids) {
        let out = output_of(child);
        assert!(
            out.status.success(),
            "guild {id}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    let mut landed = remote_guilds(&world);
    landed.sort();
    assert_eq!(landed, ids);
    assert_linear(&world);
    fsck(&world, &world.remote());
    fsck(&world, &world.platform());
    assert_eq!(world.git(&["status", "--porcelain"]), "");
    assert_eq!(
        world.git(&["rev-parse", "HEAD"]),
        world.git(&["rev-parse", "origin/main"])
    );
    ok(&world.tenantctl(&["render", "--check"]));
}

#[test]
fn the_same_id_from_two_clones_gives_one_file_and_one_already_exists() {
    let world = World::new();
    world.platform_with_remote();
    let dirs = clones(&world, 2);
    // Two people, as on a team: with one author for both, the two commits made in the same
    // second are the same object, and the second push finds it there already (both succeed,
    // one file, one commit): a race this test does not mean to time.
    let authors = ["Ada <ada@example.com>", "Bob <bob@example.com>"];
    let children: Vec<Child> = dirs
        .iter()
        .zip(authors)
        .map(|(dir, author)| {
            let args = ["--author", author, "create-guild", "777", "--tier", "free"];
            spawn(&world, dir, &args)
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(output_of).collect();
    let codes: Vec<Option<i32>> = outputs.iter().map(|o| o.status.code()).collect();
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(1)),
        "one wins, one is refused: {codes:?}"
    );
    let (winner, loser) = if codes[0] == Some(0) { (0, 1) } else { (1, 0) };
    let refused = format!(
        "{}{}",
        text(&outputs[loser].stdout),
        text(&outputs[loser].stderr)
    );
    assert!(refused.contains("guild 777 already exists"), "{refused}");
    assert_eq!(remote_guilds(&world), ["777"]);
    let log = world.git_in(&world.remote(), &["log", "--format=%s", "main"]);
    assert_eq!(text(&log.stdout).matches("Add guild 777").count(), 1);
    // The loser leaves nothing behind: no file, no commit, no staged change.
    let loser_dir = &dirs[loser];
    assert!(!loser_dir.join("guilds/guild-777.yaml").exists());
    assert_eq!(
        text(&world.git_in(loser_dir, &["status", "--porcelain"]).stdout),
        ""
    );
    let unpushed = world.git_in(loser_dir, &["rev-list", "origin/main..HEAD"]);
    assert_eq!(text(&unpushed.stdout), "", "no local commit");
    assert!(dirs[winner].join("guilds/guild-777.yaml").is_file());
}

#[test]
fn an_uncommitted_config_edit_stays_out_of_the_commit_and_the_remote_renders_to_itself() {
    let world = World::new();
    world.platform_with_remote();
    let config = world.read("tenantctl.yaml");
    let edited = config.replace("replicas: 1", "replicas: 3");
    assert_ne!(config, edited, "the edit changes something");
    world.write("tenantctl.yaml", &edited);
    let out = ok(&world.tenantctl(&["create-guild", "5", "--tier", "free"]));
    assert!(
        out.contains("uncommitted edits to tenantctl.yaml"),
        "says what it left out: {out}"
    );
    let committed = world.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(!committed.contains("tenantctl.yaml"), "{committed}");
    assert_eq!(
        world.read("tenantctl.yaml"),
        edited,
        "the edit is still there"
    );
    assert_remote_renders_to_itself(&world, "fresh");
}

#[test]
fn an_uncommitted_tier_overlay_edit_is_named_though_generated_folders_are_not_scanned() {
    let world = World::new();
    world.platform_with_remote();
    // The status behind the note looks only at the inputs: kustomize/ counts without the
    // folders tenantctl generates, so the tier overlays must still be among them.
    let overlay = "kustomize/free/kustomization.yaml";
    let edited = world.read(overlay) + "# tuned by hand\n";
    world.write(overlay, &edited);
    let out = ok(&world.tenantctl(&["create-guild", "5", "--tier", "free"]));
    assert!(
        out.contains(&format!("uncommitted edits to {overlay}")),
        "says what it left out: {out}"
    );
    let committed = world.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(!committed.contains(overlay), "{committed}");
    assert_eq!(world.read(overlay), edited, "the edit is still there");
}

#[test]
fn an_uncommitted_template_edit_is_not_rendered_into_a_commit() {
    let world = World::new();
    world.platform_with_remote();
    let template = world.read("templates/guild-kustomization.yaml.j2");
    world.write(
        "templates/guild-kustomization.yaml.j2",
        &format!("# leaked edit\n{template}"),
    );
    ok(&world.tenantctl(&["create-guild", "6", "--tier", "free"]));
    let overlay = world.remote_file("kustomize/guilds/guild-6/kustomization.yaml");
    assert!(!overlay.contains("leaked edit"), "{overlay}");
    assert_remote_renders_to_itself(&world, "fresh");
}

#[test]
fn a_second_process_waits_for_the_clone_lock_and_then_says_who_holds_it() {
    let world = World::new();
    world.platform_with_remote();
    set_git_setting(&world, "lockTimeoutSeconds: 1", "lock timeout 1 s");
    // Hold the lock the way tenantctl does (flock on .git/tenantctl.lock) from a shell.
    let lock = world.platform().join(".git/tenantctl.lock");
    std::fs::write(
        &lock,
        "pid 4242 running `tenantctl create-guild` since unix time 0",
    )
    .unwrap();
    let mut holder = std::process::Command::new("flock");
    holder.arg(&lock).args(["sleep", "30"]);
    std::os::unix::process::CommandExt::process_group(&mut holder, 0);
    let mut holder = holder.spawn().expect("flock (util-linux) runs");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "8", "--tier", "free"]),
        3,
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        out.contains("another tenantctl is working in this clone"),
        "{out}"
    );
    assert!(out.contains("pid 4242"), "names the holder: {out}");
    assert!(!world.platform().join("guilds/guild-8.yaml").exists());
    // flock and its sleep, which holds the lock, as a group.
    let killed = std::process::Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", holder.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    holder.wait().unwrap();
    ok(&world.tenantctl(&["create-guild", "8", "--tier", "free"]));
}

/// A deterministic sequence of numbers for the kill loop.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// Waits (bounded) for git processes a killed tenantctl started to finish: they run on and
/// complete, which is what keeps the clone consistent.
fn settle(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while dir.join(".git/index.lock").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(150));
}

/// Lock files under `.git` (git's own, and tenantctl's scratch files when `ours`), except the
/// clone lock, which is a kernel lock on a file that stays.
fn leftover_locks(dir: &Path, ours: bool) -> Vec<PathBuf> {
    let scratch = dir.join(".git/tenantctl");
    walkdir::WalkDir::new(dir.join(".git"))
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "lock")
                && p.file_name().is_some_and(|n| n != "tenantctl.lock")
                && (ours || !p.starts_with(&scratch))
        })
        .collect()
}

#[test]
/// SIGKILL and SIGINT during create, update and delete, at moments spread over a run.
fn killed_at_random_moments_fifty_times_the_clone_stays_whole_and_the_next_command_works() {
    let world = World::new();
    world.platform_with_remote();
    let dir = world.platform();
    // How long one command takes here, to spread the kills over it.
    let started = Instant::now();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    let typical = started.elapsed().as_millis() as u64;
    let mut random = Lcg(0x5eed_2026);
    let mut next_id = 100;
    // 60 rounds: 50 killed with SIGKILL and every sixth with SIGINT.
    for round in 0..60 {
        let existing = remote_guilds(&world);
        let args: Vec<String> = match random.next(3) {
            0 => {
                next_id += 1;
                vec![
                    "create-guild".into(),
                    next_id.to_string(),
                    "--tier".into(),
                    "free".into(),
                ]
            }
            1 => {
                let id = &existing[random.next(existing.len() as u64) as usize];
                let tier = if random.next(2) == 0 { "pro" } else { "free" };
                vec![
                    "update-guild".into(),
                    id.clone(),
                    "--tier".into(),
                    tier.into(),
                ]
            }
            _ if existing.len() > 1 => {
                let id = &existing[random.next(existing.len() as u64) as usize];
                vec!["delete-guild".into(), id.clone(), "--yes".into()]
            }
            _ => {
                next_id += 1;
                vec![
                    "create-guild".into(),
                    next_id.to_string(),
                    "--tier".into(),
                    "pro".into(),
                ]
            }
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = world
            .tenantctl_command(&dir, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = random.next(typical * 12 / 10 + 1);
        std::thread::sleep(Duration::from_millis(delay));
        // Mostly SIGKILL; every sixth round SIGINT, as Ctrl-C sends it.
        let signal = if round % 6 == 5 { "INT" } else { "KILL" };
        let _ = std::process::Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status();
        let _ = child.wait();
        settle(&dir);
        fsck(&world, &dir);
        fsck(&world, &world.remote());
        // git's locks: none. tenantctl's own scratch files (a temporary index) may remain
        // until the next command, which removes them before anything else.
        assert_eq!(
            leftover_locks(&dir, false),
            Vec::<PathBuf>::new(),
            "round {round} ({args:?} killed after {delay} ms): no lock left behind"
        );
        let status = world.git(&["status", "--porcelain"]);
        assert_eq!(
            status, "",
            "round {round} ({args:?} killed after {delay} ms): nothing half-done"
        );
        // Whatever was interrupted, the next command works without repair.
        next_id += 1;
        let id = next_id.to_string();
        let out = world.tenantctl(&["create-guild", &id, "--tier", "free"]);
        assert!(
            out.status.success(),
            "round {round} ({args:?} killed after {delay} ms): the next command failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert_eq!(
            leftover_locks(&dir, true),
            Vec::<PathBuf>::new(),
            "round {round}: the next command cleared tenantctl's own leftovers"
        );
        let scratch: Vec<_> = walkdir::WalkDir::new(dir.join(".git/tenantctl"))
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        assert_eq!(
            scratch,
            Vec::<PathBuf>::new(),
            "round {round}: no scratch files left"
        );
        assert!(
            !dir.join(".git/tenantctl-hook-stage").exists(),
            "round {round}"
        );
        ok(&world.tenantctl(&["validate"]));
    }
    assert_linear(&world);
    assert_remote_renders_to_itself(&world, "fresh");
}

/// A pre-receive hook on the world's remote that, while a push is being received, lets the
/// clone `other` push first (`script` says what it pushes), outside the quarantine git gives
/// the hook: the push being received then finds `main` moved, the same race as two writers
/// pushing at once, made deterministic. `once`: only for the first push.
fn let_another_writer_in_first(world: &World, other: &Path, script: &str, once: bool) {
    let marker = world.path().join("raced");
    let guard = if once {
        format!(
            "[ -e '{m}' ] && exit 0\ntouch '{m}'\n",
            m = marker.display()
        )
    } else {
        String::new()
    };
    write_hook(
        &world.remote().join("hooks"),
        "pre-receive",
        format!(
            "#!/bin/sh\ncat >/dev/null\n[ -n \"$TENANTCTL_TEST_RACING\" ] && exit 0\n{guard}\
             cd '{other}' || exit 1\n\
             env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES -u GIT_DIR \
             TENANTCTL_TEST_RACING=1 sh -c '{script}' >&2 || exit 1\nexit 0\n",
            other = other.display(),
        ),
    );
}

#[test]
fn a_replayed_create_renders_with_the_config_another_writer_pushed_meanwhile() {
    let world = World::new();
    world.platform_with_remote();
    let other = clones(&world, 1).remove(0);
    // The other writer changes the free tier's bot limit and renders it: every free overlay,
    // guild 1's included, must now carry 150m.
    let config = std::fs::read_to_string(other.join("tenantctl.yaml")).unwrap();
    let edited = config.replacen(
        "discord_cpu_limit: \"100m\"",
        "discord_cpu_limit: \"150m\"",
        1,
    );
    assert_ne!(config, edited);
    std::fs::write(other.join("tenantctl.yaml"), edited).unwrap();
    ok(&world.tenantctl_in(&other, &["render"]));
    let committed = world.git_in(&other, &["commit", "-qam", "Free bots get 150m"]);
    assert!(committed.status.success(), "{}", text(&committed.stderr));
    let_another_writer_in_first(&world, &other, "git push -q origin HEAD:main", true);

    let out = ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    assert!(
        world.path().join("raced").exists(),
        "the hook let the other writer in: {out}"
    );
    let subjects = world.git_in(&world.remote(), &["log", "--format=%s", "main"]);
    let subjects = text(&subjects.stdout);
    let mut lines = subjects.lines();
    assert_eq!(lines.next(), Some("Add guild 1 (free)"), "{subjects}");
    assert!(
        subjects.contains("Free bots get 150m"),
        "the other writer's commit is under ours: {subjects}"
    );
    assert_linear(&world);
    let overlay = world.remote_file("kustomize/guilds/guild-1/kustomization.yaml");
    let patches = world
        .remote_files()
        .into_iter()
        .filter(|p| p.starts_with("kustomize/guilds/guild-1/"))
        .map(|p| world.remote_file(&p))
        .collect::<String>();
    assert!(
        patches.contains("150m"),
        "guild 1 was rendered with the config on the remote's new head:\n{overlay}\n{patches}"
    );
    assert_eq!(
        world.git(&["rev-parse", "HEAD"]),
        text(&world.git_in(&world.remote(), &["rev-parse", "main"]).stdout),
        "the local branch ends where the push went"
    );
    assert_remote_renders_to_itself(&world, "fresh");
}

#[test]
fn a_remote_that_keeps_moving_gives_up_after_push_attempts_and_pushes_nothing() {
    let world = World::new();
    world.platform_with_remote();
    set_git_setting(&world, "pushAttempts: 2", "two push attempts");
    ok(&world.tenantctl(&["push"]));
    let other = clones(&world, 1).remove(0);
    // Every push tenantctl makes finds one more commit of the other writer's there first.
    let_another_writer_in_first(
        &world,
        &other,
        "git commit -q --allow-empty -m meanwhile && git push -q origin HEAD:main",
        false,
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("kept moving"), "{out}");
    assert!(
        out.contains("git.pushAttempts"),
        "says what to change: {out}"
    );
    assert!(!remote_guilds(&world).contains(&"1".to_string()));
    let meanwhile = world.git_in(&world.remote(), &["log", "--format=%s", "main"]);
    assert_eq!(
        text(&meanwhile.stdout).matches("meanwhile").count(),
        2,
        "one attempt per configured push attempt"
    );
    assert!(!world.platform().join("guilds/guild-1.yaml").exists());
    assert_eq!(
        world.git(&["status", "--porcelain"]),
        "",
        "nothing left behind"
    );
}

#[test]
fn offline_commits_on_the_local_branch_and_never_touches_the_remote() {
    let world = World::new();
    world.platform_with_remote();
    let before = text(&world.git_in(&world.remote(), &["rev-parse", "main"]).stdout);
    // A remote that cannot be reached: --offline must not even try.
    world.git(&["remote", "set-url", "origin", "/nonexistent/remote.git"]);
    let out = ok(&world.tenantctl(&["create-guild", "1", "--tier", "free", "--offline"]));
    assert!(
        !out.contains("nonexistent"),
        "no fetch or push was tried: {out}"
    );
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Add guild 1 (free)"
    );
    assert_eq!(world.git(&["status", "--porcelain"]), "");
    assert_eq!(
        text(&world.git_in(&world.remote(), &["rev-parse", "main"]).stdout),
        before,
        "the remote is untouched"
    );
}

#[test]
fn a_real_holder_of_the_clone_lock_is_named_and_waited_for() {
    let world = World::new();
    world.platform_with_remote();
    set_git_setting(&world, "lockTimeoutSeconds: 2", "lock timeout 2 s");
    ok(&world.tenantctl(&["push"]));
    // The first tenantctl stops in its pre-commit hook, holding the clone lock, until told.
    let go = world.path().join("go");
    write_hook(
        &world.platform().join(".git/hooks"),
        "pre-commit",
        format!(
            "#!/bin/sh\nwhile [ ! -e '{go}' ]; do sleep 0.05; done\n",
            go = go.display()
        ),
    );
    let first = spawn(
        &world,
        &world.platform(),
        &["create-guild", "1", "--tier", "free"],
    );
    let first_pid = first.id();
    let lock = world.platform().join(".git/tenantctl.lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&first_pid.to_string())) {
        assert!(
            Instant::now() < deadline,
            "the first command never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "2", "--tier", "free"]),
        3,
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2),
        "waited the configured 2 s: {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    assert!(
        out.contains(&format!("pid {first_pid}")),
        "names the holder: {out}"
    );
    assert!(out.contains("create-guild"), "and what it runs: {out}");
    assert!(!world.platform().join("guilds/guild-2.yaml").exists());
    std::fs::write(&go, "").unwrap();
    ok(&output_of(first));
    assert!(remote_guilds(&world).contains(&"1".to_string()));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "free"]));
}

#[test]
fn an_uncommitted_schema_edit_is_not_used_for_the_commit() {
    let world = World::new();
    world.platform_with_remote();
    // A schema edit that would refuse every free guild: the commit is judged by the committed
    // schema, and the edit stays in the work tree, named.
    let path = "schemas/guild.schema.json";
    let schema = world.read(path);
    let edited = schema.replacen("\"^[a-z][a-z0-9-]{0,30}$\"", "\"^pro$\"", 1);
    assert_ne!(schema, edited, "the edit changes the tier enum");
    world.write(path, &edited);
    let out = ok(&world.tenantctl(&["create-guild", "9", "--tier", "free"]));
    assert!(out.contains(path), "says what it left out: {out}");
    let committed = world.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(!committed.contains(path), "{committed}");
    assert_eq!(world.read(path), edited, "the edit is still there");
    assert_remote_renders_to_itself(&world, "fresh");
}

#[test]
fn pushing_to_a_branch_argo_cd_does_not_track_says_so() {
    let world = World::new();
    world.platform_with_remote();
    world.write(
        "tenantctl.yaml",
        &world
            .read("tenantctl.yaml")
            .replace("targetRevision: HEAD", "targetRevision: production"),
    );
    world.git(&["commit", "-qam", "Argo CD deploys production"]);
    ok(&world.tenantctl(&["render"]));
    world.git(&["commit", "-qam", "Render for production"]);
    let out = ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    assert!(
        out.contains("this goes to main, but Argo CD deploys production"),
        "{out}"
    );
}

#[test]
fn killed_while_its_commit_hook_reads_the_staged_files_the_next_command_puts_them_back() {
    let world = World::new();
    world.platform_with_remote();
    let started = world.path().join("hook-started");
    let hook = write_hook(
        &world.platform().join(".git/hooks"),
        "pre-commit",
        format!("#!/bin/sh\ntouch '{}'\nsleep 60\n", started.display()),
    );
    let mut command =
        world.tenantctl_command(&world.platform(), &["create-guild", "1", "--tier", "free"]);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn tenantctl");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !started.exists() {
        assert!(Instant::now() < deadline, "the hook never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        world.platform().join("guilds/guild-1.yaml").is_file(),
        "the commit's files are in the work tree while the hook runs"
    );
    // tenantctl, its git and the hook, as one group.
    let killed = std::process::Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(killed.success());
    output_of(child);
    std::fs::remove_file(&hook).unwrap();
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "free"]));
    assert!(
        !world.platform().join("guilds/guild-1.yaml").exists(),
        "the staged file of the killed command is gone"
    );
    assert!(!world.platform().join(".git/tenantctl-hook-stage").exists());
    assert_eq!(world.git(&["status", "--porcelain"]), "");
    assert_eq!(remote_guilds(&world), ["2"]);
    fsck(&world, &world.platform());
}

/// Adds `line` to the `git` section of tenantctl.yaml and commits it as `message` (not pushed).
fn set_git_setting(world: &World, line: &str, message: &str) {
    let config = world.read("tenantctl.yaml");
    assert!(config.contains("git:\n"), "{config}");
    world.write(
        "tenantctl.yaml",
        &config.replace("git:\n", &format!("git:\n  {line}\n")),
    );
    world.git(&["commit", "-qam", message]);
}

/// Every tenantctl temporary file and journal under `dir` (outside `.git`), sorted.
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tenantctl-"))
        .map(|e| e.into_path())
        .collect();
    found.sort();
    found
}

#[test]
/// A render killed while it writes leaves temporary files beside their targets and its
/// journal at the root; the next command holding the lock removes exactly those, without
/// walking the repo, and a file tenantctl did not make is left alone.
fn a_killed_render_leaves_temporary_files_that_the_next_command_removes() {
    let world = World::new();
    world.platform_with_remote();
    let dir = world.platform();
    for id in 0..150 {
        world.write(
            &format!("guilds/guild-{}.yaml", 1000 + id),
            &format!("guild_id: \"{}\"\ntier: \"free\"\n", 1000 + id),
        );
    }
    // What a killed writer leaves, made by hand: the moment of a kill is luck, this is not.
    let deep = dir.join("kustomize/guilds/guild-1000");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join(".tenantctl-999-00000000000000aa"), "half").unwrap();
    std::fs::write(
        dir.join(".tenantctl-journal-999-00000000000000bb"),
        "kustomize/guilds/guild-1000\n../outside\n/etc\n",
    )
    .unwrap();
    // Not in a folder any journal names: not tenantctl's to remove.
    let unlisted = dir.join("guilds/.tenantctl-notes");
    std::fs::write(&unlisted, "mine").unwrap();
    let at_root = dir.join(".tenantctl-notes");
    std::fs::write(&at_root, "mine too").unwrap();
    let outside = world.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join(".tenantctl-1-00"), "outside the repo").unwrap();
    ok(&world.tenantctl(&["render"]));
    assert_eq!(
        temporary_files(&dir),
        vec![at_root.clone(), unlisted.clone()]
    );
    assert!(
        outside.join(".tenantctl-1-00").exists(),
        "nothing outside the repo is touched"
    );
    std::fs::remove_file(&at_root).unwrap();
    std::fs::remove_file(&unlisted).unwrap();

    // Real kills, spread over a render of 150 guilds from nothing.
    let started = Instant::now();
    std::fs::remove_dir_all(dir.join("kustomize/guilds")).unwrap();
    ok(&world.tenantctl(&["render"]));
    let typical = started.elapsed().as_millis() as u64;
    let mut random = Lcg(0x0dd_ba11);
    let mut left_some = 0;
    for round in 0..12 {
        std::fs::remove_dir_all(dir.join("kustomize/guilds")).unwrap();
        let mut child = world
            .tenantctl_command(&dir, &["render"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = random.next(typical + 1);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        if !temporary_files(&dir).is_empty() {
            left_some += 1;
        }
        ok(&world.tenantctl(&["render"]));
        assert_eq!(
            temporary_files(&dir),
            Vec::<PathBuf>::new(),
            "round {round} (killed after {delay} ms): the next command removed the leftovers"
        );
        ok(&world.tenantctl(&["render", "--check"]));
    }
    eprintln!("{left_some} of 12 kills left temporary files behind");
}
