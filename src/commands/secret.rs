//! secret set, list, rm: the value is read from an environment variable or standard input (never
//! an argument), held in memory, and handed to the operation, which passes it to sops by a pipe.

use anyhow::Context as _;
use std::io::{IsTerminal as _, Read as _, Write as _};

use serde::Serialize;
use tenantctl::ExitCode;
use tenantctl::error::{Error, Result};
use tenantctl::load::Snapshot;
use tenantctl::operation::secret::{RemoveSecret, SetSecret, resolve_owner};
use tenantctl::secret::{self, MAX_VALUE_BYTES, OwnerKind};

use super::format::{Rows, TableView, listing_writer};
use super::root;
use crate::cli::{GlobalArgs, Kind, OutputFormat, SecretCommand};

pub fn run(global: &GlobalArgs, command: SecretCommand) -> Result<ExitCode> {
    match command {
        SecretCommand::Set {
            id,
            name,
            from_env,
            stdin,
            key,
            kind,
        } => {
            secret::check_name(&name)?;
            let value = match (&from_env, stdin) {
                (Some(var), _) => Some(from_environment(var)?),
                (None, true) => Some(from_stdin(&name)?),
                (None, false) => None,
            };
            let operation = SetSecret {
                id,
                kind: kind.map(owner_kind),
                name,
                value,
                from_env,
                key,
            };
            super::guild::execute(global, &operation)
        }
        SecretCommand::Rm { id, name, kind } => super::guild::execute(
            global,
            &RemoveSecret {
                id,
                kind: kind.map(owner_kind),
                name,
            },
        ),
        SecretCommand::List { id, output } => list(global, id, output),
    }
}

fn owner_kind(kind: Kind) -> OwnerKind {
    match kind {
        Kind::Guild => OwnerKind::Guild,
        Kind::Tenant => OwnerKind::Tenant,
    }
}

fn checked(value: Vec<u8>, from: &str) -> Result<Vec<u8>> {
    if value.is_empty() {
        return Err(Error::usage(
            format!("the value from {from} is empty"),
            "a secret needs a value; `tenantctl secret rm` removes one",
        ));
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(Error::usage(
            format!(
                "the value from {from} is {} bytes, over the limit of {MAX_VALUE_BYTES}",
                value.len()
            ),
            "a Kubernetes Secret holds at most 1 MiB; keep large files out of git",
        ));
    }
    Ok(value)
}

fn from_environment(var: &str) -> Result<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt as _;
    match std::env::var_os(var) {
        Some(value) => checked(value.into_vec(), &format!("${var}")),
        None => Err(Error::usage(
            format!("the environment variable {var} is not set"),
            format!("export it first (e.g. `read -rs {var} && export {var}`), or pass --stdin"),
        )),
    }
}

/// All of standard input, less one trailing newline; on a terminal, one line typed without
/// echo.
fn from_stdin(name: &str) -> Result<Vec<u8>> {
    let stdin = std::io::stdin();
    let mut value = Vec::new();
    if stdin.is_terminal() {
        eprint!("value of {name} (not shown; Enter ends it): ");
        std::io::stderr().flush().ok();
        let line = read_without_echo()?;
        eprintln!();
        value.extend_from_slice(line.as_bytes());
    } else {
        stdin
            .lock()
            .take(MAX_VALUE_BYTES as u64 + 2)
            .read_to_end(&mut value)
            .context("reading standard input")?;
    }
    if value.ends_with(b"\n") {
        value.pop();
        if value.ends_with(b"\r") {
            value.pop();
        }
    }
    checked(value, "standard input")
}

/// One line from the terminal with echo off (restored afterwards).
fn read_without_echo() -> Result<String> {
    use std::os::fd::AsRawFd as _;
    let fd = std::io::stdin().as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for a valid descriptor or fails.
    let mut term: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd is standard input, `term` a valid termios to write to.
    let saved = (unsafe { libc::tcgetattr(fd, &mut term) } == 0).then_some(term);
    if let Some(mut quiet) = saved {
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: fd is standard input and `quiet` a termios read from it.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if let Some(original) = saved {
        // SAFETY: as above: restore what tcgetattr returned.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &original) };
    }
    read.context("reading the value")?;
    Ok(line)
}

/// One secret as `secret list` shows it: never a value.
#[derive(Debug, Serialize)]
struct Row {
    kind: OwnerKind,
    id: String,
    name: String,
    form: secret::Form,
    /// The Kubernetes Secret it becomes.
    secret: String,
    file: String,
}

fn list(global: &GlobalArgs, id: Option<String>, output: OutputFormat) -> Result<ExitCode> {
    let root = root(global)?;
    let snapshot = Snapshot::load(&root)?;
    // A symbolic link as `secrets/`, an owner's folder or a secret file was not read (E102):
    // refused, as `validate`, `secret set` and `secret rm` refuse it, never listed as "no secrets".
    let links: Vec<_> = snapshot
        .problems
        .iter()
        .filter(|d| {
            let at = d.file.to_string_lossy();
            d.code == tenantctl::validate::diagnostic::code::SYMLINK
                && (at == secret::SECRETS_DIR
                    || at.starts_with(&format!("{}/", secret::SECRETS_DIR)))
        })
        .cloned()
        .collect();
    if !links.is_empty() {
        return Err(Error::Invalid(links));
    }
    let rows: Vec<Row> = secret::entries(&snapshot)
        .into_iter()
        .filter(|s| id.as_ref().is_none_or(|id| *id == s.owner.id))
        .map(|s| Row {
            kind: s.owner.kind,
            secret: s.owner.secret_name(&s.name),
            id: s.owner.id,
            name: s.name,
            form: s.form,
            file: s.path,
        })
        .collect();
    if rows.is_empty()
        && let Some(id) = &id
    {
        resolve_owner(&snapshot, id, None)?;
    }
    let table = |rows: &[Row]| {
        if rows.is_empty() {
            return TableView {
                rows: None,
                after: Vec::new(),
                note: Some(
                    "no secrets; add one with `tenantctl secret set <ID> <NAME> --from-env VAR`"
                        .into(),
                ),
            };
        }
        let mut table = vec![
            ["OWNER", "NAME", "FORM", "SECRET", "FILE"]
                .map(String::from)
                .to_vec(),
        ];
        for row in rows {
            table.push(vec![
                format!("{} {}", row.kind.as_str(), row.id),
                row.name.clone(),
                row.form.as_str().to_string(),
                row.secret.clone(),
                row.file.clone(),
            ]);
        }
        TableView {
            rows: Some(table),
            after: Vec::new(),
            note: None,
        }
    };
    listing_writer(output).write(&Rows { rows: &rows, table }, global.quiet)?;
    Ok(ExitCode::Ok)
}
