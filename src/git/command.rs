//! Running the `git` program: for the network (fetch, push), hooks, signing, filters and moving
//! the work tree, where the real git does what users configured and libgit2 does not.
//!
//! Every run is non-interactive (no terminal prompt: a prompt in a CI job hangs it) and, for the
//! network, bounded by an idle timeout: a remote that accepts the connection and then says nothing
//! is killed after the configured seconds, with everything it started.

use anyhow::Context as _;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::error::{Error, Result};

/// What a finished git run printed.
#[derive(Debug)]
pub struct Ran {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// stderr without git's progress noise, each line trimmed, for messages.
    pub fn message(&self) -> String {
        let mut lines: Vec<&str> = self
            .stderr
            .lines()
            .flat_map(|l| l.split('\r'))
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !is_progress(l))
            .collect();
        lines.dedup();
        crate::git::redact::redact(&lines.join("\n"))
    }
}

fn is_progress(line: &str) -> bool {
    let progress = [
        "Enumerating objects",
        "Counting objects",
        "Compressing objects",
        "Writing objects",
        "Total ",
        "Delta compression",
        "remote: Resolving deltas",
        "Unpacking objects",
        "Receiving objects",
        "Resolving deltas",
        "remote: Counting objects",
        "remote: Compressing objects",
        "remote: Enumerating objects",
        "remote: Total",
    ];
    progress.iter().any(|p| line.starts_with(p))
}

/// A `git` command in `workdir`, never prompting, with messages in English so they can be read.
///
/// It runs in a process group of its own: Ctrl-C in the terminal, or tenantctl being killed,
/// does not interrupt it halfway through moving the work tree or a ref; it finishes, and the
/// clone is as it is after the step, never between.
pub fn git(workdir: &Path) -> Command {
    use std::os::unix::process::CommandExt as _;
    let mut command = git_in_foreground(workdir);
    command.process_group(0);
    command
}

/// Like [`git`], but in tenantctl's own process group, for hooks, which may talk to the
/// terminal and which Ctrl-C should stop.
pub fn git_in_foreground(workdir: &Path) -> Command {
    let mut command = Command::new(git_program());
    command
        .current_dir(workdir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        .env("SSH_ASKPASS_REQUIRE", "never")
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C")
        .stdin(Stdio::null());
    command
}

/// The git program: `TENANTCTL_GIT` when set (to pick one of several installed), else `git`.
pub fn git_program() -> std::ffi::OsString {
    std::env::var_os("TENANTCTL_GIT").unwrap_or_else(|| "git".into())
}

/// Runs `command` to the end, feeding `input` on stdin. For local work (no timeout).
pub fn run(command: &mut Command, input: Option<&[u8]>) -> Result<Ran> {
    run_with_timeout(command, input, None, "git")
}

/// Runs `command`, killing it (and every process it started) when it prints nothing for `idle`.
/// `what` names the step in the timeout error, e.g. "push to origin".
pub fn run_with_timeout(
    command: &mut Command,
    input: Option<&[u8]>,
    idle: Option<Duration>,
    what: &str,
) -> Result<Ran> {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = command.spawn().map_err(|e| {
        Error::git(
            format!("cannot run git: {e}"),
            "install git (2.36 or newer) and make sure it is on PATH",
        )
    })?;
    let (sender, receiver) = mpsc::channel::<(bool, Vec<u8>)>();
    let mut readers = Vec::new();
    for (is_err, stream) in [
        (
            false,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
        (
            true,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
    ] {
        let Some(mut stream) = stream else { continue };
        let sender = sender.clone();
        readers.push(std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            loop {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if sender.send((is_err, buffer[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                }
            }
        }));
    }
    drop(sender);
    if let Some(input) = input
        && let Some(mut stdin) = child.stdin.take()
    {
        let input = input.to_vec();
        std::thread::spawn(move || {
            use std::io::Write as _;
            let _ = stdin.write_all(&input);
        });
    }
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    loop {
        let received = match idle {
            Some(idle) => receiver.recv_timeout(idle),
            None => receiver
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match received {
            Ok((true, bytes)) => stderr.extend(bytes),
            Ok((false, bytes)) => stdout.extend(bytes),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                kill_group(&mut child);
                let seconds = idle.map(|d| d.as_secs()).unwrap_or_default();
                return Err(Error::git(
                    format!("{what} timed out: the remote sent nothing for {seconds} s"),
                    "check the network and the remote's URL; raise git.timeoutSeconds in tenantctl.yaml for a slow remote",
                ));
            }
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait().context("waiting for git")?;
    Ok(Ran {
        success: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Kills the child and, with it, ssh or a credential helper it started (its process group,
/// see [`git`]).
fn kill_group(child: &mut std::process::Child) {
    let pid = child.id() as i32;
    // SAFETY: kill(2) with a negative pid signals the process group the child leads (it was
    // started with process_group(0)); no memory is shared.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}
