//! The binary in a real terminal (tmux): colour and the progress bar appear there and not when
//! piped, a confirmation prompt takes `y` and refuses `n`, tables are cut to the width.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{World, fails_with, ok, require_tool, text};

/// A tmux server of our own (its own socket), with one pane running a command.
struct Terminal {
    socket: PathBuf,
}

impl Terminal {
    /// Starts `command` in a `width`x40 terminal, in `dir`, with the world's HOME.
    fn run(world: &World, dir: &std::path::Path, width: u16, command: &str) -> Terminal {
        require_tool("tmux", "apt-get install tmux");
        let socket = world.path().join(format!("tmux-{}", rand_suffix()));
        let terminal = Terminal { socket };
        let binary = assert_cmd::cargo::cargo_bin!("tenantctl");
        let script = format!(
            "cd '{}' && export HOME='{}' GIT_CONFIG_NOSYSTEM=1 PATH='{}':\"$PATH\" && unset NO_COLOR && {command}; echo '[exited]'; sleep 60",
            dir.display(),
            world.home().display(),
            binary.parent().unwrap().display(),
        );
        let out = terminal
            .tmux()
            .args([
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                "40",
                "-s",
                "t",
            ])
            .args([
                "env",
                "TERM=xterm-256color",
                "bash",
                "--norc",
                "-c",
                &script,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux: {}", text(&out.stderr));
        terminal
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.arg("-S").arg(&self.socket).env_remove("TMUX");
        command
    }

    /// The screen, with escape sequences when `escapes`.
    fn screen(&self, escapes: bool) -> String {
        let mut command = self.tmux();
        command.args(["capture-pane", "-p", "-J", "-t", "t"]);
        if escapes {
            command.arg("-e");
        }
        text(&command.output().unwrap().stdout)
    }

    /// Waits until the screen shows `needle`, then returns the screen.
    fn wait_for(&self, needle: &str, escapes: bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen(escapes);
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{needle}` never appeared; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_line(&self, keys: &str) {
        assert!(
            self.tmux()
                .args(["send-keys", "-t", "t", keys, "Enter"])
                .status()
                .unwrap()
                .success()
        );
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

/// A name no other terminal of this test run has.
fn rand_suffix() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        .to_string()
}

fn broken_repo() -> World {
    let world = World::new();
    world.platform_with_remote();
    world.write("guilds/guild-1.yaml", "guild_id: \"1\"\ntier: \"gold\"\n");
    world
}

#[test]
fn colour_on_a_terminal_and_never_when_piped_or_asked_not_to() {
    let world = broken_repo();
    let terminal = Terminal::run(&world, &world.platform(), 120, "tenantctl validate");
    let screen = terminal.wait_for("[exited]", true);
    assert!(
        screen.contains("\u{1b}["),
        "escape sequences on a terminal:\n{screen:?}"
    );
    assert!(screen.contains("unknown tier `gold`"), "{screen}");

    let piped = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(!piped.contains('\u{1b}'), "no colour when piped: {piped:?}");
    let forced = fails_with(&world.tenantctl(&["--color", "always", "validate"]), 1);
    assert!(
        forced.contains("\u{1b}["),
        "--color always colours a pipe too"
    );

    for opt_out in [
        "NO_COLOR=1 tenantctl validate",
        "tenantctl --color never validate",
    ] {
        let terminal = Terminal::run(&world, &world.platform(), 120, opt_out);
        let screen = terminal.wait_for("[exited]", true);
        assert!(screen.contains("unknown tier"), "{screen}");
        assert!(
            !screen.contains("\u{1b}[1m") && !screen.contains("\u{1b}[31"),
            "{opt_out}: {screen:?}"
        );
    }
}

#[test]
fn progress_bar_on_a_terminal_and_nothing_when_piped() {
    let world = World::new();
    world.platform_with_remote();
    for id in 1..=300 {
        world.write(
            &format!("guilds/guild-{id}.yaml"),
            &format!("guild_id: \"{id}\"\ntier: \"free\"\n"),
        );
    }
    ok(&world.tenantctl(&["render"]));
    // Committed, as Argo CD needs them (an untracked file gets a warning).
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "300 guilds"]);
    let terminal = Terminal::run(&world, &world.platform(), 120, "tenantctl validate");
    let screen = terminal.wait_for("[exited]", false);
    assert!(
        screen.contains("validating [") && screen.contains("300/300 files"),
        "{screen}"
    );
    let piped = world.tenantctl(&["validate"]);
    ok(&piped);
    let stderr = text(&piped.stderr);
    assert!(
        !stderr.contains("validating") && !stderr.contains("300/300"),
        "no bar when piped: {stderr}"
    );
}

#[test]
fn delete_asks_on_a_terminal_showing_what_goes() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));

    let terminal = Terminal::run(&world, &world.platform(), 120, "tenantctl delete-guild 1");
    let screen = terminal.wait_for("[y/N]", false);
    assert!(
        screen.contains("guilds/guild-1.yaml")
            && screen.contains("kustomize/guilds/guild-1/kustomization.yaml"),
        "{screen}"
    );
    terminal.type_line("n");
    terminal.wait_for("not deleted", false);
    drop(terminal);
    assert!(world.platform().join("guilds/guild-1.yaml").exists());

    let terminal = Terminal::run(&world, &world.platform(), 120, "tenantctl delete-guild 1");
    terminal.wait_for("[y/N]", false);
    terminal.type_line("y");
    terminal.wait_for("pushed main to origin", false);
    assert!(!world.platform().join("guilds/guild-1.yaml").exists());
    assert!(
        !world
            .remote_files()
            .contains(&"guilds/guild-1.yaml".to_string())
    );
}

#[test]
fn tables_are_cut_to_the_terminal_width() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "123456789", "--tier", "free", "--no-push"]));
    let terminal = Terminal::run(&world, &world.platform(), 50, "tenantctl list");
    let screen = terminal.wait_for("[exited]", false);
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("GUILD ID") || l.starts_with("123456789"))
        .collect();
    assert_eq!(rows.len(), 2, "{screen}");
    for row in rows {
        assert!(row.ends_with('…') && row.chars().count() <= 50, "{row:?}");
    }
    let piped = ok(&world.tenantctl(&["list"]));
    assert!(
        piped.lines().any(|l| l.len() > 50 && l.ends_with("ok")),
        "piped output is never cut: {piped}"
    );
}
