//! Pushing to real servers on 127.0.0.1, started and stopped by the tests: OpenSSH's sshd (a key
//! file, a key held only by ssh-agent, an unknown host key), git-http-backend behind lighttpd's
//! basic auth (a token from the environment, a wrong one, credentials in the URL), a server that
//! accepts and never answers, and a pre-receive hook on a local-path remote.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::servers::{Auth, ClientKey, GitHttpServer, SilentServer, SshAgent, Sshd, free_port};
use crate::support::{World, fails_with, ok, text, write_hook};

const GUILD_FILE: &str = "guilds/guild-1.yaml";
const PASSWORD: &str = "s3cret-Pa55word-for-ci";
const TOKEN_ENV: &str = "TENANTCTL_TEST_TOKEN";

/// A world with a platform repo pushed to its bare remote, and `lines` added to the `git`
/// section of tenantctl.yaml, committed and pushed (still over the local path).
fn world_with_git_settings(lines: &str) -> World {
    let world = World::new();
    world.platform_with_remote();
    if !lines.is_empty() {
        let config = world.read("tenantctl.yaml");
        let section = "git:\n  remote: origin\n";
        assert!(config.contains(section), "{config}");
        world.write(
            "tenantctl.yaml",
            &config.replace(section, &format!("{section}{lines}")),
        );
        world.git(&["commit", "-qam", "Configure git"]);
        ok(&world.tenantctl(&["push"]));
    }
    world
}

fn set_origin(world: &World, url: &str) {
    world.git(&["remote", "set-url", "origin", url]);
}

/// ssh as git runs it (tenantctl adds `BatchMode` and a timeout) reads only this config.
fn use_ssh_config(world: &World, config: &Path) {
    world.git(&[
        "config",
        "--global",
        "core.sshCommand",
        &format!("ssh -F {}", config.display()),
    ]);
}

/// A pre-receive hook in the bare remote that refuses every push, saying `message`.
fn refuse_pushes(world: &World, message: &str) {
    write_hook(
        &world.remote().join("hooks"),
        "pre-receive",
        format!("#!/bin/sh\necho '{message}' >&2\nexit 1\n"),
    );
}

fn remote_has_guild(world: &World) -> bool {
    world.remote_files().contains(&GUILD_FILE.to_string())
}

fn remote_main(world: &World) -> String {
    let out = world.git_in(&world.remote(), &["rev-parse", "main"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The guild is on the remote's main, and the local branch is where the push went.
fn assert_pushed(world: &World) {
    assert!(remote_has_guild(world), "{:?}", world.remote_files());
    assert_eq!(
        world.git(&["rev-parse", "HEAD"]),
        remote_main(world),
        "local HEAD is the remote's main"
    );
    assert_eq!(
        world.git(&["log", "-1", "--format=%s", "main"]).trim(),
        "Add guild 1 (free)"
    );
}

fn assert_commit_kept_and_not_pushed(world: &World) {
    assert_eq!(
        world.git(&["log", "-1", "--format=%s"]).trim(),
        "Add guild 1 (free)",
        "the commit is kept locally"
    );
    assert!(!remote_has_guild(world), "{:?}", world.remote_files());
    assert_ne!(world.git(&["rev-parse", "HEAD"]), remote_main(world));
}

#[test]
fn ssh_with_a_key_file_and_a_known_host_key_pushes() {
    let world = world_with_git_settings("");
    let sshd = Sshd::start(&world);
    use_ssh_config(&world, &sshd.client_config("file", true, ClientKey::File));
    set_origin(&world, &sshd.url(&world.remote()));
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    assert_pushed(&world);
    assert!(
        sshd.log().contains("Accepted publickey for"),
        "the push went through sshd:\n{}",
        sshd.log()
    );
}

#[test]
fn ssh_with_a_key_held_only_by_ssh_agent_pushes() {
    let world = world_with_git_settings("");
    let sshd = Sshd::start(&world);
    let agent = SshAgent::start(&sshd.dir);
    agent.add(&sshd.client_key());
    // Only the agent has the private key now (the server keeps its public half).
    std::fs::remove_file(sshd.client_key()).unwrap();
    use_ssh_config(&world, &sshd.client_config("agent", true, ClientKey::Agent));
    set_origin(&world, &sshd.url(&world.remote()));
    let out = world.tenantctl_with_env(
        &["create-guild", "1", "--tier", "free"],
        &[("SSH_AUTH_SOCK", agent.socket.to_str().unwrap())],
    );
    ok(&out);
    assert_pushed(&world);
    assert!(
        sshd.log().contains("Accepted publickey for"),
        "{}",
        sshd.log()
    );
}

#[test]
fn ssh_refuses_an_unknown_host_key_at_once_instead_of_asking() {
    let world = world_with_git_settings("");
    let sshd = Sshd::start(&world);
    use_ssh_config(
        &world,
        &sshd.client_config("unknown", false, ClientKey::File),
    );
    set_origin(&world, &sshd.url(&world.remote()));
    let before = remote_main(&world);
    let started = Instant::now();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(15),
        "refused, not prompted: {took:?}"
    );
    assert!(out.contains("Host key verification failed"), "{out}");
    assert!(out.contains("known_hosts"), "says what to do: {out}");
    assert!(
        out.contains(&format!(
            "ssh-keyscan -p {} 127.0.0.1 >> ~/.ssh/known_hosts",
            sshd.port
        )),
        "the command for this host and port: {out}"
    );
    assert!(!remote_has_guild(&world));
    assert_eq!(remote_main(&world), before, "nothing pushed");
    assert!(!sshd.log().contains("Accepted publickey"), "{}", sshd.log());
}

#[test]
fn ssh_refuses_a_changed_host_key_and_names_the_entry_to_remove() {
    let world = world_with_git_settings("");
    let sshd = Sshd::start(&world);
    let config = sshd.client_config("changed", true, ClientKey::File);
    // known_hosts holds another key for this host and port: the server "changed" its key.
    let other = sshd.dir.join("other_host_key");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let mut fields = public.split_whitespace();
    std::fs::write(
        sshd.dir.join("changed.known_hosts"),
        format!(
            "[127.0.0.1]:{} {} {}\n",
            sshd.port,
            fields.next().unwrap(),
            fields.next().unwrap()
        ),
    )
    .unwrap();
    use_ssh_config(&world, &config);
    set_origin(&world, &sshd.url(&world.remote()));
    let before = remote_main(&world);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(
        out.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{out}"
    );
    assert!(
        out.contains(&format!("ssh-keygen -R '[127.0.0.1]:{}'", sshd.port)),
        "names the entry to remove: {out}"
    );
    assert_eq!(remote_main(&world), before, "nothing pushed");
    assert!(!sshd.log().contains("Accepted publickey"), "{}", sshd.log());
}

#[test]
fn the_users_git_credential_helper_supplies_the_password() {
    let world = world_with_git_settings("");
    let server = GitHttpServer::start(&world, Auth::Everything, "ci", PASSWORD);
    set_origin(&world, &server.url("remote.git"));
    // git's own `store` helper, as people have it configured: tenantctl adds nothing.
    let store = world.path().join("git-credentials");
    std::fs::write(
        &store,
        format!("http://ci:{PASSWORD}@127.0.0.1:{}\n", server.port),
    )
    .unwrap();
    world.git(&[
        "config",
        "--global",
        "credential.helper",
        &format!("store --file={}", store.display()),
    ]);
    let out = world.tenantctl(&["create-guild", "1", "--tier", "free"]);
    ok(&out);
    assert_pushed(&world);
    assert_pushed_as_ci(&server);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(PASSWORD), "{all}");
}

#[test]
fn verbose_output_and_the_pushed_line_mask_the_password_in_the_remote_url() {
    let world = world_with_git_settings("");
    let server = GitHttpServer::start(&world, Auth::Everything, "ci", PASSWORD);
    let url = server
        .url("remote.git")
        .replace("http://", &format!("http://ci:{PASSWORD}@"));
    set_origin(&world, &url);
    let out = world.tenantctl(&["-v", "create-guild", "1", "--tier", "free"]);
    ok(&out);
    assert_pushed(&world);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(PASSWORD), "the password leaked: {all}");
    assert!(
        all.contains(&format!("http://***@127.0.0.1:{}/remote.git", server.port)),
        "the remote is named, masked: {all}"
    );
}

#[test]
fn a_review_branch_on_a_forge_remote_prints_the_pull_request_url() {
    let world = world_with_git_settings("");
    let sshd = Sshd::start(&world);
    // The remote is reached as `github.test` (a forge's name), which ssh maps to the local sshd:
    // the URL tenantctl prints is the forge's compare page for the new branch.
    let known_hosts = sshd.dir.join("forge.known_hosts");
    // Which name ssh looks the key up under differs between versions: trust it under both.
    let line = sshd.known_hosts_line();
    std::fs::write(
        &known_hosts,
        format!("{line}{}", line.replace("[127.0.0.1]", "[github.test]")),
    )
    .unwrap();
    let config = sshd.dir.join("forge.ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host github.test\n  HostName 127.0.0.1\n  UserKnownHostsFile {}\n  \
             GlobalKnownHostsFile /dev/null\n  CheckHostIP no\n  IdentityFile {}\n  \
             IdentitiesOnly yes\n  IdentityAgent none\n  LogLevel ERROR\n",
            known_hosts.display(),
            sshd.client_key().display()
        ),
    )
    .unwrap();
    use_ssh_config(&world, &config);
    let url = sshd
        .url(&world.remote())
        .replace("127.0.0.1", "github.test");
    set_origin(&world, &url);
    let before = remote_main(&world);
    let out = ok(&world.tenantctl(&[
        "create-guild",
        "1",
        "--tier",
        "free",
        "--branch",
        "tenantctl/{operation}-{id}",
    ]));
    let path = world
        .remote()
        .to_str()
        .unwrap()
        .trim_start_matches('/')
        .trim_end_matches(".git")
        .to_string();
    assert!(
        out.contains(&format!(
            "open the pull request: https://github.test/{path}/compare/main...tenantctl/create-guild-1?expand=1"
        )),
        "{out}"
    );
    assert_eq!(remote_main(&world), before, "main is unchanged");
    let branch = world.git_in(
        &world.remote(),
        &["rev-parse", "--verify", "tenantctl/create-guild-1"],
    );
    assert!(
        branch.status.success(),
        "the review branch is on the remote"
    );
}

fn world_with_token_settings() -> World {
    world_with_git_settings(&format!("  tokenEnv: {TOKEN_ENV}\n  tokenUsername: ci\n"))
}

#[test]
fn https_token_from_the_environment_passes_basic_auth_and_pushes() {
    let world = world_with_token_settings();
    let server = GitHttpServer::start(&world, Auth::Everything, "ci", PASSWORD);
    set_origin(&world, &server.url("remote.git"));
    let out = world.tenantctl_with_env(
        &["create-guild", "1", "--tier", "free"],
        &[(TOKEN_ENV, PASSWORD)],
    );
    ok(&out);
    assert_pushed(&world);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(PASSWORD), "{all}");
    assert_pushed_as_ci(&server);
}

/// The server took the pack from the authenticated user `ci`.
fn assert_pushed_as_ci(server: &GitHttpServer) {
    let requests = server.requests();
    assert!(
        requests
            .lines()
            .any(|line| line == "ci POST /remote.git/git-receive-pack?"),
        "{requests}"
    );
}

#[test]
fn a_wrong_token_on_push_keeps_the_commit_prints_no_secret_and_push_retries() {
    let world = world_with_token_settings();
    // A public repository: anyone may fetch, only `ci` may push.
    let server = GitHttpServer::start(&world, Auth::Pushes, "ci", PASSWORD);
    set_origin(&world, &server.url("remote.git"));
    let wrong = "wrong-T0ken-value-4711";
    let out = fails_with(
        &world.tenantctl_with_env(
            &["create-guild", "1", "--tier", "free"],
            &[(TOKEN_ENV, wrong)],
        ),
        3,
    );
    assert!(!out.contains(wrong), "the token leaked: {out}");
    assert!(!out.contains(PASSWORD), "{out}");
    assert!(out.contains("Authentication failed"), "{out}");
    assert!(out.contains("git.tokenEnv"), "says what to check: {out}");
    assert!(out.contains("the commit is kept locally"), "{out}");
    assert_commit_kept_and_not_pushed(&world);
    let requests = server.requests();
    assert!(
        requests.starts_with("- GET /remote.git/info/refs?service=git-upload-pack\n"),
        "the fetch went through without credentials: {requests}"
    );

    let out = world.tenantctl_with_env(&["push"], &[(TOKEN_ENV, PASSWORD)]);
    ok(&out);
    assert!(!text(&out.stdout).contains(PASSWORD) && !text(&out.stderr).contains(PASSWORD));
    assert_pushed(&world);
    assert_pushed_as_ci(&server);
}

#[test]
fn a_wrong_token_for_a_private_remote_fails_with_exit_3_and_no_secret_in_the_output() {
    let world = world_with_token_settings();
    let server = GitHttpServer::start(&world, Auth::Everything, "ci", PASSWORD);
    set_origin(&world, &server.url("remote.git"));
    let before = remote_main(&world);
    let wrong = "wrong-T0ken-value-4711";
    let out = fails_with(
        &world.tenantctl_with_env(
            &["create-guild", "1", "--tier", "free"],
            &[(TOKEN_ENV, wrong)],
        ),
        3,
    );
    assert!(!out.contains(wrong), "the token leaked: {out}");
    assert!(!out.contains(PASSWORD), "{out}");
    assert!(out.contains("Authentication failed"), "{out}");
    assert!(out.contains("git.tokenEnv"), "says what to check: {out}");
    assert!(out.contains("the commit is kept locally"), "{out}");
    assert!(!remote_has_guild(&world));
    assert_eq!(remote_main(&world), before, "nothing pushed");
    assert_commit_kept_and_not_pushed(&world);
    assert_eq!(
        world.git(&["status", "--porcelain"]),
        "",
        "nothing left half-written"
    );
}

#[test]
fn credentials_in_the_remote_url_are_masked_when_the_push_is_refused() {
    let world = world_with_git_settings("");
    let server = GitHttpServer::start(&world, Auth::Everything, "ci", PASSWORD);
    refuse_pushes(&world, "reviews only");
    let url = server
        .url("remote.git")
        .replace("http://", &format!("http://ci:{PASSWORD}@"));
    set_origin(&world, &url);
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(!out.contains(PASSWORD), "the password leaked: {out}");
    assert!(
        out.contains(&format!("http://***@127.0.0.1:{}/remote.git", server.port)),
        "{out}"
    );
    assert!(out.contains("reviews only"), "the hook's message: {out}");
    assert!(out.contains("the commit is kept locally"), "{out}");
    assert_commit_kept_and_not_pushed(&world);

    // The same URL on a port where nothing listens.
    set_origin(
        &world,
        &format!("http://ci:{PASSWORD}@127.0.0.1:{}/remote.git", free_port()),
    );
    let out = fails_with(
        &world.tenantctl(&["create-guild", "2", "--tier", "free"]),
        3,
    );
    assert!(!out.contains(PASSWORD), "the password leaked: {out}");
    assert!(out.contains("Failed to connect"), "{out}");
}

/// A remote that accepts the connection and never says a word is given up after
/// `git.timeoutSeconds`, well before any outer timeout would fire.
fn times_out_on_a_silent_server(url_of: impl Fn(&World, u16) -> String) {
    let world = world_with_git_settings("  timeoutSeconds: 2\n");
    let server = SilentServer::start();
    set_origin(&world, &url_of(&world, server.port));
    let before = remote_main(&world);
    let started = Instant::now();
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    let took = started.elapsed();
    // It waited for the configured 2 s (no other failure ended it early), and not much more.
    assert!(took >= Duration::from_secs(2), "took {took:?}: {out}");
    assert!(took < Duration::from_secs(12), "took {took:?}: {out}");
    assert!(out.contains("timed out"), "{out}");
    assert_eq!(remote_main(&world), before, "nothing pushed");
}

#[test]
fn a_git_protocol_server_that_never_answers_times_out() {
    times_out_on_a_silent_server(|_, port| format!("git://127.0.0.1:{port}/remote.git"));
}

#[test]
fn an_http_server_that_never_answers_times_out() {
    times_out_on_a_silent_server(|_, port| format!("http://127.0.0.1:{port}/x.git"));
}

#[test]
fn an_ssh_server_that_never_answers_times_out() {
    times_out_on_a_silent_server(|world, port| {
        // ssh reads only this config; the server never sends its banner, so no host key is
        // ever looked at.
        let config = world.path().join("silent.ssh_config");
        std::fs::write(
            &config,
            "Host *\n  UserKnownHostsFile /dev/null\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n",
        )
        .unwrap();
        use_ssh_config(world, &config);
        format!("ssh://git@127.0.0.1:{port}/x.git")
    });
}

#[test]
fn a_pre_receive_hook_on_a_local_path_remote_refuses_and_its_message_is_shown() {
    let world = world_with_git_settings("");
    assert_eq!(
        world.git(&["remote", "get-url", "origin"]).trim(),
        world.remote().to_str().unwrap(),
        "origin is a plain path"
    );
    refuse_pushes(&world, "guild changes are frozen today");
    let out = fails_with(
        &world.tenantctl(&["create-guild", "1", "--tier", "free"]),
        3,
    );
    assert!(out.contains("guild changes are frozen today"), "{out}");
    assert!(out.contains("refused the push"), "{out}");
    assert_commit_kept_and_not_pushed(&world);
}
