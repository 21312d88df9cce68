//! Fetching and pushing through the `git` program, so the user's transports work as they do for
//! `git push`: ssh with the agent, `~/.ssh/config` and `known_hosts`; https with credential
//! helpers; the remote's own hooks on every kind of remote, local paths included. tenantctl adds
//! a token from the environment (when `git.tokenEnv` names one), `BatchMode` for ssh (refuse,
//! never ask) and an idle timeout.

use std::process::Command;
use std::time::Duration;

use git2::Oid;

use super::GitRepo;
use super::command::{self, Ran, git};
use super::redact::redact;
use crate::error::{Error, Result};

/// How to reach remotes, from `tenantctl.yaml`'s `git` section.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    /// Connect and idle timeout of every network step.
    pub timeout: Duration,
    /// An environment variable holding an HTTPS token, and the user name to send with it.
    pub token_env: Option<String>,
    pub token_username: String,
}

impl RemoteSettings {
    /// From `tenantctl.yaml`'s `git` section.
    pub fn from_config(settings: &crate::config::GitSettings) -> RemoteSettings {
        RemoteSettings {
            timeout: Duration::from_secs(settings.timeout_seconds.max(1)),
            token_env: settings.token_env.clone(),
            token_username: settings.token_username.clone(),
        }
    }
}

impl Default for RemoteSettings {
    fn default() -> Self {
        RemoteSettings {
            timeout: Duration::from_secs(30),
            token_env: None,
            token_username: "x-access-token".into(),
        }
    }
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub remote: String,
    /// The remote's URL with any credentials masked.
    pub url: String,
    pub branch: String,
    /// What the remote said (`remote:` lines), e.g. a link to open a pull request.
    pub remote_messages: Vec<String>,
}

/// A push the remote took, or one it refused only because its branch moved on.
#[derive(Debug)]
pub enum PushOutcome {
    Pushed(Pushed),
    /// Someone else pushed first: fetch, replay, try again.
    RemoteMoved,
    /// Another push held the remote's ref lock at that moment: try again; if it stays, the
    /// error (a lock left behind) is the answer.
    RemoteBusy(Error),
}

impl GitRepo {
    /// Whether a remote of that name is configured.
    pub fn has_remote(&self, name: &str) -> bool {
        self.repo.find_remote(name).is_ok()
    }

    fn network(&self, settings: &RemoteSettings) -> Command {
        let mut command = git(&self.workdir);
        let seconds = settings.timeout.as_secs().max(1);
        command
            .arg("-c")
            .arg("http.lowSpeedLimit=1")
            .arg("-c")
            .arg(format!("http.lowSpeedTime={seconds}"));
        if std::env::var_os("GIT_SSH").is_none() {
            let ssh = std::env::var("GIT_SSH_COMMAND")
                .ok()
                .or_else(|| self.config_string("core.sshCommand"))
                .unwrap_or_else(|| "ssh".to_string());
            command.env(
                "GIT_SSH_COMMAND",
                format!("{ssh} -o BatchMode=yes -o ConnectTimeout={seconds}"),
            );
        }
        if let Some(variable) = settings.token_env.as_deref()
            && is_env_name(variable)
            && std::env::var_os(variable).is_some()
        {
            // The helper reads the token from the environment at the moment git asks, so it
            // is never on a command line or in a file.
            // The user name travels in the environment too: nothing from tenantctl.yaml is
            // ever spliced into the shell text but the variable's (checked) name.
            command
                .env("TENANTCTL_TOKEN_USERNAME", &settings.token_username)
                .arg("-c")
                .arg("credential.helper=")
                .arg("-c")
                .arg(format!(
                    "credential.helper=!f() {{ test \"$1\" = get || return 0; printf 'username=%s\\npassword=%s\\n' \"$TENANTCTL_TOKEN_USERNAME\" \"${variable}\"; }}; f"
                ));
        }
        command
    }

    /// Fetches `remote`'s `merge_ref` into its remote-tracking ref and returns the commit it
    /// points at; `None` when the remote has no such branch yet.
    pub fn fetch(
        &self,
        remote: &str,
        merge_ref: &str,
        settings: &RemoteSettings,
    ) -> Result<Option<Oid>> {
        let branch = merge_ref.trim_start_matches("refs/heads/");
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let mut fetch = self.network(settings);
        fetch
            .args(["fetch", "--no-tags", "--no-write-fetch-head", "--progress"])
            .arg(remote)
            .arg(format!("+{merge_ref}:{tracking}"));
        let ran = command::run_with_timeout(
            &mut fetch,
            None,
            Some(settings.timeout),
            &format!("fetch from {remote}"),
        )?;
        if !ran.success {
            if ran.stderr.contains("couldn't find remote ref") {
                return Ok(None);
            }
            return Err(self.network_error(&format!("fetch from {remote}"), remote, &ran));
        }
        Ok(self.repo.refname_to_id(&tracking).ok())
    }

    /// Pushes `commit` to `remote`'s `refs/heads/<branch>`, which must fast-forward.
    pub fn push_commit(
        &self,
        remote: &str,
        commit: Oid,
        branch: &str,
        settings: &RemoteSettings,
        no_verify: bool,
    ) -> Result<PushOutcome> {
        let mut push = self.network(settings);
        push.args(["push", "--porcelain", "--progress"]);
        if no_verify {
            push.arg("--no-verify");
        }
        push.arg(remote)
            .arg(format!("{commit}:refs/heads/{branch}"));
        let ran = command::run_with_timeout(
            &mut push,
            None,
            Some(settings.timeout),
            &format!("push to {remote}"),
        )?;
        let remote_messages: Vec<String> = ran
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("remote: "))
            .map(|l| redact(l.trim_end()))
            .filter(|l| !l.trim().is_empty() && !is_remote_progress(l))
            .collect();
        let rejected_line = ran.stdout.lines().find(|l| l.starts_with('!'));
        if ran.success && rejected_line.is_none() {
            return Ok(PushOutcome::Pushed(Pushed {
                remote: remote.to_string(),
                url: redact(&self.remote_url(remote).unwrap_or_default()),
                branch: branch.to_string(),
                remote_messages,
            }));
        }
        if let Some(line) = rejected_line {
            if (line.contains("(fetch first)") || line.contains("(non-fast-forward)"))
                && !line.contains("remote rejected")
            {
                return Ok(PushOutcome::RemoteMoved);
            }
            // Two pushes raced inside the remote: the ref moved after it advertised it.
            if line.contains("failed to update ref")
                && (ran.stderr.contains("but expected")
                    || ran.stderr.contains("incorrect old value"))
            {
                return Ok(PushOutcome::RemoteMoved);
            }
            if line.contains("failed to update ref") && ran.stderr.contains("File exists") {
                return Ok(PushOutcome::RemoteBusy(self.push_error(
                    remote,
                    &ran,
                    rejected_line,
                    &remote_messages,
                )));
            }
        }
        Err(self.push_error(remote, &ran, rejected_line, &remote_messages))
    }

    fn push_error(
        &self,
        remote: &str,
        ran: &Ran,
        rejected_line: Option<&str>,
        remote_messages: &[String],
    ) -> Error {
        let url = redact(&self.remote_url(remote).unwrap_or_default());
        let Some(line) = rejected_line else {
            // git reports a refusing pre-push hook with no ref line and no fatal error.
            if ran.stderr.contains("failed to push some refs")
                && !ran.stderr.lines().any(|l| l.starts_with("fatal:"))
            {
                let output: Vec<&str> = ran
                    .stderr
                    .lines()
                    .filter(|l| !l.starts_with("error: failed to push some refs"))
                    .collect();
                return Error::git(
                    format!(
                        "the pre-push hook refused the push to {remote} ({url}); nothing was pushed:\n{}",
                        redact(output.join("\n").trim_end())
                    ),
                    "fix what the hook reports, or pass --no-verify to skip the hooks",
                );
            }
            return self.network_error(&format!("push to {remote} ({url})"), remote, ran);
        };
        let reason = line.rsplit('\t').next().unwrap_or(line).trim().to_string();
        let mut message = format!("the remote {remote} ({url}) refused the push: {reason}");
        if !remote_messages.is_empty() {
            message += "\nthe remote said:";
            for line in remote_messages {
                message += &format!("\n  {line}");
            }
        }
        let hint = if let Some(lock) = ran
            .stderr
            .lines()
            .find_map(|l| l.split('\'').find(|part| part.ends_with(".lock")))
            .filter(|_| ran.stderr.contains("File exists"))
        {
            format!(
                "an interrupted push left a lock on the remote: if no push is running there, remove {lock}"
            )
        } else {
            "nothing was pushed; the remote's rules decide (a hook or branch protection): fix what it says, or use --branch for a review branch".to_string()
        };
        Error::git(message, hint)
    }

    fn network_error(&self, what: &str, remote: &str, ran: &Ran) -> Error {
        let text = ran.message();
        let hint = if text.contains("Host key verification failed") {
            let url = self.remote_url(remote).unwrap_or_default();
            let (host, port) = ssh_host(&url).unwrap_or(("<host>".to_string(), None));
            if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
                let entry = match port {
                    Some(port) => format!("'[{host}]:{port}'"),
                    None => host,
                };
                format!(
                    "the server's host key changed: if the change is expected, remove the old key (`ssh-keygen -R {entry}`), check the new key's fingerprint with the server's admin and add it to ~/.ssh/known_hosts"
                )
            } else {
                let port = port.map(|p| format!("-p {p} ")).unwrap_or_default();
                format!(
                    "the server's host key is not in your known_hosts (~/.ssh/known_hosts, or the UserKnownHostsFile your ssh config names): fetch it with `ssh-keyscan {port}{host} >> ~/.ssh/known_hosts`, then check its fingerprint (`ssh-keygen -lf ~/.ssh/known_hosts`) against the one the server's admin gives you"
                )
            }
        } else if text.contains("Permission denied")
            || text.contains("Authentication failed")
            || text.contains("could not read Username")
            || text.contains("401")
            || text.contains("403")
        {
            "the remote did not accept the credentials: for ssh, load the key into ssh-agent or name it in ~/.ssh/config; for https, a credential helper or the token variable named by git.tokenEnv".to_string()
        } else if text.contains("does not appear to be a git repository")
            || text.contains("not found")
        {
            format!("check the remote's URL: git remote get-url {remote}")
        } else {
            "check the network and the remote".to_string()
        };
        Error::git(format!("{what} failed: {text}"), hint)
    }
}

fn is_remote_progress(line: &str) -> bool {
    [
        "Resolving deltas",
        "Counting objects",
        "Compressing objects",
        "Enumerating objects",
        "Total ",
    ]
    .iter()
    .any(|p| line.trim_start().starts_with(p))
}

/// The host and port an ssh remote URL names (`ssh://user@host:port/path` or scp-like
/// `user@host:path`), for the known_hosts lines a refusal names; `None` for other transports.
fn ssh_host(url: &str) -> Option<(String, Option<u16>)> {
    let url = super::redact::strip_credentials(url);
    if let Some(rest) = url
        .strip_prefix("ssh://")
        .or_else(|| url.strip_prefix("git+ssh://"))
        .or_else(|| url.strip_prefix("ssh+git://"))
    {
        let authority = rest.split('/').next()?;
        let host_port = authority.rsplit('@').next()?;
        if let Some(inner) = host_port.strip_prefix('[') {
            // [::1]:22
            let (host, after) = inner.split_once(']')?;
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return Some((host.to_string(), port));
        }
        return Some(match host_port.split_once(':') {
            Some((host, port)) => (host.to_string(), port.parse().ok()),
            None => (host_port.to_string(), None),
        });
    }
    if url.contains("://") {
        return None;
    }
    let (user_host, _) = url.split_once(':')?;
    if user_host.contains('/') || user_host.is_empty() {
        return None;
    }
    Some((user_host.rsplit('@').next()?.to_string(), None))
}

/// `NAME` is a plain environment variable name (it is spliced into a shell helper).
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The page that opens a pull (merge) request from `branch` into `target`, for remotes on
/// GitHub, GitLab and Gitea-style forges; `None` for local paths and unknown shapes.
pub fn review_url(remote_url: &str, branch: &str, target: &str) -> Option<String> {
    let url = super::redact::strip_credentials(remote_url);
    let (host, path) = if let Some((_, rest)) = url.split_once("://") {
        let rest = rest.split_once('@').map(|(_, r)| r).unwrap_or(rest);
        let (host, path) = rest.split_once('/')?;
        (host.split(':').next()?.to_string(), path.to_string())
    } else if let Some((user_host, path)) = url.split_once(':') {
        if user_host.contains('/') || path.starts_with("//") {
            return None;
        }
        let host = user_host.rsplit('@').next()?.to_string();
        (host, path.to_string())
    } else {
        return None;
    };
    if host.is_empty() || host == "localhost" || host.starts_with("127.") {
        // A local test server or a local path: no web UI to send anyone to.
        return None;
    }
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    if path.split('/').count() < 2 {
        return None;
    }
    Some(if host.contains("gitlab") {
        format!(
            "https://{host}/{path}/-/merge_requests/new?merge_request%5Bsource_branch%5D={branch}&merge_request%5Btarget_branch%5D={target}"
        )
    } else if host.contains("github") {
        format!("https://{host}/{path}/compare/{target}...{branch}?expand=1")
    } else {
        format!("https://{host}/{path}/compare/{target}...{branch}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_urls_for_forges() {
        assert_eq!(
            review_url(
                "git@github.com:acme/platform.git",
                "tenantctl/create-guild-1",
                "main"
            )
            .unwrap(),
            "https://github.com/acme/platform/compare/main...tenantctl/create-guild-1?expand=1"
        );
        assert_eq!(
            review_url("https://tok@gitlab.com/acme/platform.git", "b", "main").unwrap(),
            "https://gitlab.com/acme/platform/-/merge_requests/new?merge_request%5Bsource_branch%5D=b&merge_request%5Btarget_branch%5D=main"
        );
        assert_eq!(
            review_url(
                "ssh://git@gitea.example.com:2222/acme/platform.git",
                "b",
                "main"
            )
            .unwrap(),
            "https://gitea.example.com/acme/platform/compare/main...b"
        );
        assert_eq!(review_url("/srv/git/platform.git", "b", "main"), None);
        assert_eq!(review_url("file:///srv/platform.git", "b", "main"), None);
    }

    #[test]
    fn ssh_hosts_for_known_hosts_hints() {
        assert_eq!(
            ssh_host("ssh://git@127.0.0.1:2222/srv/r.git"),
            Some(("127.0.0.1".into(), Some(2222)))
        );
        assert_eq!(
            ssh_host("git@github.com:acme/platform.git"),
            Some(("github.com".into(), None))
        );
        assert_eq!(
            ssh_host("ssh://git@[::1]:22/r.git"),
            Some(("::1".into(), Some(22)))
        );
        assert_eq!(ssh_host("https://github.com/acme/p.git"), None);
        assert_eq!(ssh_host("/srv/git/platform.git"), None);
    }

    #[test]
    fn only_plain_names_become_token_variables() {
        assert!(is_env_name("GIT_TOKEN"));
        assert!(!is_env_name("X; rm -rf /"));
        assert!(!is_env_name("1A"));
    }
}
