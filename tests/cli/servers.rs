//! Real servers on 127.0.0.1 for the remote tests, started and stopped by the tests themselves:
//! OpenSSH's sshd with a generated host key and key-only login, a real ssh-agent, lighttpd
//! running git's own `git-http-backend` behind basic auth, and a TCP listener that accepts and
//! never answers. Every process runs in a process group of its own, killed on drop; each
//! server's log is in the world's temp dir and is shown when it fails to start.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{World, text};

/// How long a server may take to accept its first connection.
const START_DEADLINE: Duration = Duration::from_secs(15);

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A program found on PATH or in the sbin directories (daemons live there, and PATH may lack
/// them), with the line that installs it when it is missing.
pub fn system_tool(name: &str, install: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed; install it with: {install}"))
}

/// The user the tests run as: the account sshd logs into.
pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("run id");
    assert!(out.status.success(), "id -un: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A daemon in a process group of its own, its stdout and stderr in `log`. Drop kills the
/// whole group, then reaps the leader.
pub struct Daemon {
    child: Child,
    log: PathBuf,
    what: String,
}

impl Daemon {
    pub fn spawn(command: &mut Command, log: &Path, what: &str) -> Daemon {
        let file = std::fs::File::create(log).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {what}: {e}"));
        Daemon {
            child,
            log: log.to_path_buf(),
            what: what.to_string(),
        }
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `ready` holds, failing early (with the log) when the daemon exits.
    pub fn wait_until(&mut self, mut ready: impl FnMut() -> bool) {
        let deadline = Instant::now() + START_DEADLINE;
        while !ready() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status}) before it was ready:\n{}",
                    self.what,
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} was not ready within {START_DEADLINE:?}:\n{}",
                self.what,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the daemon accepts connections on the loopback `port`.
    pub fn wait_for_port(&mut self, port: u16) {
        self.wait_until(|| TcpStream::connect(("127.0.0.1", port)).is_ok());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) with a negative pid signals the process group this daemon leads (it
        // was started with process_group(0)); it touches no memory of ours.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real OpenSSH server on a loopback port: a host key generated for it, public-key login
/// only, for the current user, with one authorized client key (`client_key`).
pub struct Sshd {
    daemon: Daemon,
    pub port: u16,
    /// The directory holding the keys, the configs and the log.
    pub dir: PathBuf,
}

/// How an ssh client configuration finds its key.
pub enum ClientKey {
    /// `IdentityFile` names the key; no agent is consulted.
    File,
    /// No `IdentityFile`: the keys of the agent in `SSH_AUTH_SOCK`.
    Agent,
}

impl Sshd {
    pub fn start(world: &World) -> Sshd {
        let sshd = system_tool("sshd", "apt-get install openssh-server");
        let keygen = system_tool("ssh-keygen", "apt-get install openssh-client");
        let dir = world.path().join("ssh");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, comment) in [
            ("host_key", "tenantctl-test-host"),
            ("client_key", "client"),
        ] {
            run(Command::new(&keygen)
                .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
                .arg(dir.join(name)));
        }
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        // sshd's privilege separation needs its empty directory.
        if !Path::new("/run/sshd").is_dir() {
            std::fs::create_dir_all("/run/sshd").expect("create /run/sshd for sshd");
        }
        let port = free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\n\
                 Port {port}\n\
                 HostKey {dir}/host_key\n\
                 PidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {dir}/authorized_keys\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\n\
                 StrictModes no\n\
                 UsePAM no\n\
                 X11Forwarding no\n\
                 AllowTcpForwarding no\n\
                 PrintMotd no\n\
                 LogLevel VERBOSE\n",
                dir = dir.display()
            ),
        )
        .unwrap();
        run(Command::new(&sshd).arg("-t").arg("-f").arg(&config));
        let mut daemon = Daemon::spawn(
            Command::new(&sshd).args(["-D", "-e", "-f"]).arg(&config),
            &dir.join("sshd.log"),
            "sshd",
        );
        daemon.wait_for_port(port);
        Sshd { daemon, port, dir }
    }

    /// `ssh://<user>@127.0.0.1:<port><absolute path>`.
    pub fn url(&self, repo: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            current_user(),
            self.port,
            repo.display()
        )
    }

    pub fn client_key(&self) -> PathBuf {
        self.dir.join("client_key")
    }

    /// The server's host key as a `known_hosts` line.
    pub fn known_hosts_line(&self) -> String {
        let public = std::fs::read_to_string(self.dir.join("host_key.pub")).unwrap();
        let mut fields = public.split_whitespace();
        let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
        format!("[127.0.0.1]:{} {kind} {key}\n", self.port)
    }

    /// Writes an ssh client configuration named `name` (for `ssh -F`) that knows no host key
    /// but those in its own known_hosts file, trusted or empty, and finds its key as `key`
    /// says. Nothing from ~/.ssh or /etc/ssh is read.
    pub fn client_config(&self, name: &str, trust_host: bool, key: ClientKey) -> PathBuf {
        let known_hosts = self.dir.join(format!("{name}.known_hosts"));
        let trusted = if trust_host {
            self.known_hosts_line()
        } else {
            String::new()
        };
        std::fs::write(&known_hosts, trusted).unwrap();
        let identity = match key {
            ClientKey::File => format!(
                "  IdentityFile {}\n  IdentitiesOnly yes\n  IdentityAgent none\n",
                self.client_key().display()
            ),
            ClientKey::Agent => "  IdentitiesOnly no\n".to_string(),
        };
        let config = self.dir.join(format!("{name}.ssh_config"));
        std::fs::write(
            &config,
            format!(
                "Host *\n  UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n  \
                 UpdateHostKeys no\n  PasswordAuthentication no\n  \
                 KbdInteractiveAuthentication no\n  LogLevel ERROR\n{identity}",
                known_hosts.display()
            ),
        )
        .unwrap();
        config
    }

    /// sshd's log so far (logins accepted and refused).
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// A real ssh-agent listening on a socket in `dir`.
pub struct SshAgent {
    _daemon: Daemon,
    pub socket: PathBuf,
}

impl SshAgent {
    pub fn start(dir: &Path) -> SshAgent {
        let agent = system_tool("ssh-agent", "apt-get install openssh-client");
        let socket = dir.join("agent.sock");
        let mut daemon = Daemon::spawn(
            Command::new(agent).arg("-D").arg("-a").arg(&socket),
            &dir.join("ssh-agent.log"),
            "ssh-agent",
        );
        daemon.wait_until(|| std::os::unix::net::UnixStream::connect(&socket).is_ok());
        SshAgent {
            _daemon: daemon,
            socket,
        }
    }

    /// `ssh-add`s a private key to the agent.
    pub fn add(&self, key: &Path) {
        let add = system_tool("ssh-add", "apt-get install openssh-client");
        run(Command::new(add)
            .arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env_remove("SSH_ASKPASS"));
    }
}

/// Which requests of the git HTTP server need basic auth.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Every request: a private repository.
    Everything,
    /// Only pushes (`git-receive-pack`): a public repository anyone may clone.
    Pushes,
}

/// lighttpd on a loopback port running `git-http-backend` as CGI for every repository under
/// the world's directory (`http://127.0.0.1:<port>/remote.git`), behind HTTP basic auth (a
/// plain user file). Pushes are allowed because the backend sees the authenticated REMOTE_USER.
pub struct GitHttpServer {
    _daemon: Daemon,
    pub port: u16,
    dir: PathBuf,
}

impl GitHttpServer {
    pub fn start(world: &World, auth: Auth, user: &str, password: &str) -> GitHttpServer {
        let lighttpd = system_tool("lighttpd", "apt-get install lighttpd");
        let exec_path = run(Command::new("git").arg("--exec-path"));
        let backend = PathBuf::from(exec_path.trim()).join("git-http-backend");
        assert!(backend.is_file(), "{} is missing", backend.display());
        let dir = world.path().join("http");
        std::fs::create_dir_all(&dir).unwrap();
        let users = dir.join("users");
        std::fs::write(&users, format!("{user}:{password}\n")).unwrap();
        let port = free_port();
        let rule = r#"auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))"#;
        let require = match auth {
            Auth::Everything => rule.to_string(),
            // The two requests of a push: its ref advertisement and the pack.
            Auth::Pushes => format!(
                "$HTTP[\"querystring\"] =~ \"service=git-receive-pack\" {{ {rule} }}\n\
                 $HTTP[\"url\"] =~ \"/git-receive-pack$\" {{ {rule} }}"
            ),
        };
        // git-http-backend is the CGI program; a shell in front of it notes each request with
        // the user the server authenticated (lighttpd's own access log is written late).
        let cgi = dir.join("git-http-backend.sh");
        std::fs::write(
            &cgi,
            format!(
                "#!/bin/sh\nprintf '%s %s %s?%s\\n' \"${{REMOTE_USER:--}}\" \"$REQUEST_METHOD\" \"$PATH_INFO\" \"$QUERY_STRING\" >> '{log}'\nexec '{backend}'\n",
                log = dir.join("requests.log").display(),
                backend = backend.display(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&cgi, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let config = dir.join("lighttpd.conf");
        std::fs::write(
            &config,
            format!(
                r#"server.document-root = "{dir}"
server.bind = "127.0.0.1"
server.port = {port}
server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi")
alias.url = ("/" => "{cgi}/")
cgi.assign = ("" => "")
setenv.add-environment = (
  "GIT_PROJECT_ROOT" => "{root}",
  "GIT_HTTP_EXPORT_ALL" => "1",
)
auth.backend = "plain"
auth.backend.plain.userfile = "{users}"
{require}
"#,
                dir = dir.display(),
                cgi = cgi.display(),
                root = world.path().display(),
                users = users.display(),
            ),
        )
        .unwrap();
        run(Command::new(&lighttpd).arg("-tt").arg("-f").arg(&config));
        let mut daemon = Daemon::spawn(
            Command::new(&lighttpd).arg("-D").arg("-f").arg(&config),
            &dir.join("lighttpd.log"),
            "lighttpd",
        );
        daemon.wait_for_port(port);
        GitHttpServer {
            _daemon: daemon,
            port,
            dir,
        }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("http://127.0.0.1:{}/{repo}", self.port)
    }

    /// The requests that reached git-http-backend, one a line:
    /// `<authenticated user or -> <method> <path>?<query>`.
    pub fn requests(&self) -> String {
        std::fs::read_to_string(self.dir.join("requests.log")).unwrap_or_default()
    }
}

/// A TCP server on a loopback port that accepts every connection and never sends a byte,
/// like a firewall that lets the handshake through or a hung server. Stopped on drop.
pub struct SilentServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        SilentServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
