//! Hermetic test environments: a temp dir with its own HOME and git identity, a bare remote,
//! and helpers to run the binary and real tools.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A temporary world: HOME with a git identity, nothing leaking from the machine's config.
pub struct World {
    pub dir: TempDir,
}

impl World {
    pub fn new() -> World {
        let world = World {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::create_dir_all(world.home()).unwrap();
        world.set_identity();
        world
    }

    /// A world whose git config has no user name or e-mail.
    pub fn without_identity() -> World {
        let world = World {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::create_dir_all(world.home()).unwrap();
        world
    }

    fn set_identity(&self) {
        std::fs::write(
            self.home().join(".gitconfig"),
            "[user]\n\tname = Test Author\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn platform(&self) -> PathBuf {
        self.dir.path().join("platform")
    }

    pub fn remote(&self) -> PathBuf {
        self.dir.path().join("remote.git")
    }

    fn hermetic(&self, command: &mut Command) {
        command
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("TENANTCTL_REPO")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
    }

    /// The tenantctl binary as a command to spawn in `dir` (hermetic like the others).
    pub fn tenantctl_command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin!("tenantctl"));
        self.hermetic(&mut command);
        command.current_dir(dir).args(args);
        command
    }

    /// The tenantctl binary, run in `dir`.
    pub fn tenantctl_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin!("tenantctl"));
        self.hermetic(&mut command);
        command
            .current_dir(dir)
            .args(args)
            .output()
            .expect("run tenantctl")
    }

    /// The tenantctl binary, run in the platform repo under `umask` (e.g. `027`), set by a
    /// shell that then execs it: the test process's own umask plays no part.
    pub fn tenantctl_with_umask(&self, umask: &str, args: &[&str]) -> Output {
        let mut command = Command::new("sh");
        self.hermetic(&mut command);
        command
            .current_dir(self.platform())
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(assert_cmd::cargo::cargo_bin!("tenantctl"))
            .args(args)
            .output()
            .expect("run tenantctl")
    }

    /// The tenantctl binary, run in the platform repo.
    pub fn tenantctl(&self, args: &[&str]) -> Output {
        self.tenantctl_in(&self.platform(), args)
    }

    /// The tenantctl binary, run in the platform repo with extra environment variables.
    pub fn tenantctl_with_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin!("tenantctl"));
        self.hermetic(&mut command);
        command
            .current_dir(self.platform())
            .args(args)
            .envs(envs.iter().copied())
            .output()
            .expect("run tenantctl")
    }

    /// Real git (the CLI, as a judge), run in `dir`.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut command = Command::new("git");
        self.hermetic(&mut command);
        command
            .current_dir(dir)
            .args(args)
            .output()
            .expect("run git")
    }

    pub fn git(&self, args: &[&str]) -> String {
        let output = self.git_in(&self.platform(), args);
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// `init` a platform repo with a bare remote as `origin` and push it.
    pub fn platform_with_remote(&self) {
        let out = self.git_in(self.path(), &["init", "-q", "--bare", "remote.git"]);
        assert!(out.status.success());
        let url = format!("file://{}", self.remote().display());
        ok(&self.tenantctl_in(self.path(), &["init", "platform", "--repo-url", &url]));
        self.git(&["remote", "add", "origin", self.remote().to_str().unwrap()]);
        ok(&self.tenantctl(&["push"]));
    }

    /// The files on the remote's `main`, sorted.
    pub fn remote_files(&self) -> Vec<String> {
        let out = self.git_in(&self.remote(), &["ls-tree", "-r", "--name-only", "main"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).lines().map(str::to_string).collect()
    }

    pub fn remote_file(&self, path: &str) -> String {
        let out = self.git_in(&self.remote(), &["show", &format!("main:{path}")]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Adds `lines` (indented by two) to the `tenants:` section of the platform's tenantctl.yaml.
    pub fn set_tenant_settings(&self, lines: &str) {
        let config = self.read("tenantctl.yaml");
        assert!(config.contains("\ntenants:\n"), "{config}");
        let changed = config.replacen("\ntenants:\n", &format!("\ntenants:\n{lines}"), 1);
        self.write("tenantctl.yaml", &changed);
    }

    /// Sets `line` (indented by two, e.g. `  shardSize: 10\n`) in the `argocd:` section of the
    /// platform's tenantctl.yaml, replacing the key's earlier value.
    pub fn set_argocd_setting(&self, line: &str) {
        let key = line.split(':').next().unwrap();
        let config: String = self
            .read("tenantctl.yaml")
            .lines()
            .filter(|l| l.split(':').next() != Some(key))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(config.contains("\nargocd:\n"), "{config}");
        let changed = config.replacen("\nargocd:\n", &format!("\nargocd:\n{line}"), 1);
        self.write("tenantctl.yaml", &changed);
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.platform().join(path))
            .unwrap_or_else(|e| panic!("reading {path}: {e}"))
    }

    pub fn write(&self, path: &str, text: &str) {
        let target = self.platform().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "expected success, got {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Asserts the exit code and returns stdout + stderr.
pub fn fails_with(output: &Output, code: i32) -> String {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(code),
        "unexpected exit code; output:\n{all}"
    );
    all
}

/// A tool the tests need, with the line that installs it when it is missing.
pub fn require_tool(name: &str, install: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    found.unwrap_or_else(|| panic!("{name} is not installed; install it with: {install}"))
}

/// Parses a multi-document YAML stream into JSON values.
pub fn parse_yaml_stream(text: &str) -> Vec<serde_json::Value> {
    serde_saphyr::from_multiple(text).expect("valid YAML stream")
}

pub fn parse_yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).expect("valid YAML")
}

/// A real `git daemon` serving the world's directory on a loopback port, with pushes enabled,
/// so that server-side hooks run as they do on a real git server. Stopped on drop.
pub struct GitDaemon {
    child: std::process::Child,
    pub port: u16,
}

impl GitDaemon {
    pub fn start(world: &World) -> GitDaemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Run git-daemon itself: `git daemon` would fork it as a child we could not stop.
        let exec_path = Command::new("git")
            .arg("--exec-path")
            .output()
            .expect("git runs");
        let daemon = PathBuf::from(text(&exec_path.stdout).trim()).join("git-daemon");
        let child = Command::new(daemon)
            .arg(format!("--base-path={}", world.path().display()))
            .args([
                "--export-all",
                "--enable=receive-pack",
                "--reuseaddr",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(world.path())
            .env("HOME", world.home())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("git daemon (part of git) runs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "git daemon did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        GitDaemon { child, port }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kubectl kustomize` of an overlay of the platform repo, parsed into its manifests.
pub fn kustomize_build(world: &World, overlay: &str) -> Vec<serde_json::Value> {
    require_tool(
        "kubectl",
        "see https://kubernetes.io/docs/tasks/tools/ (kubectl has kustomize built in)",
    );
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(world.platform().join(overlay))
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl kustomize {overlay}: {}",
        text(&out.stderr)
    );
    parse_yaml_stream(&text(&out.stdout))
}

/// Builds an overlay with `kubectl kustomize` and judges it with `kubernetes-validate --strict`
/// for Kubernetes 1.30; returns the validator's report.
pub fn kubernetes_validate_overlay(world: &World, overlay: &str) -> String {
    let validator = require_tool("kubernetes-validate", "pip install kubernetes-validate");
    require_tool("kubectl", "see https://kubernetes.io/docs/tasks/tools/");
    let built = Command::new("kubectl")
        .arg("kustomize")
        .arg(world.platform().join(overlay))
        .output()
        .expect("run kubectl");
    assert!(
        built.status.success(),
        "kubectl kustomize {overlay}: {}",
        text(&built.stderr)
    );
    let file = world
        .path()
        .join(format!("built-{}.yaml", overlay.replace('/', "-")));
    std::fs::write(&file, &built.stdout).unwrap();
    let out = Command::new(validator)
        .args(["--strict", "-k", "1.30.0"])
        .arg(&file)
        .output()
        .expect("run kubernetes-validate");
    let report = text(&out.stdout);
    assert!(
        out.status.success() && !report.contains("ERROR"),
        "kubernetes-validate {overlay}: {report}{}",
        text(&out.stderr)
    );
    report
}

/// xorshift64*: a small seeded generator, so every run tests the same inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Writes an executable hook script `name` into `dir` (a clone's `.git/hooks`, a bare remote's
/// `hooks`, or a `core.hooksPath`); returns its path.
pub fn write_hook(dir: &Path, name: &str, script: impl AsRef<[u8]>) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}
