//! tenantctl: one small YAML file per tenant in git, turned into Kustomize overlays and an Argo CD
//! ApplicationSet, validated, committed and pushed.
//!
//! The pipeline runs one way:
//! 1. [`load`] finds the repo root and parses every tenant file, keeping positions;
//! 2. [`validate`] checks them against JSON schemas and cross-file rules, giving [`Diagnostic`]s;
//! 3. [`render`] turns config and files into the set of desired files (a pure function);
//! 4. [`apply`] diffs the desired files against disk and writes atomically;
//! 5. [`git`] stages only those paths, commits and pushes.
//!
//! Mutating commands are [`operation::Operation`]s: given a snapshot, they produce a change, so a
//! rejected push can be replayed on a fresh remote head. Nothing in the library prints or exits.

pub mod apply;
pub mod apps;
pub mod config;
pub mod drift;
pub mod embedded;
pub mod error;
pub mod fuzz;
#[cfg(feature = "git")]
pub mod git;
pub mod gotemplate;
pub mod load;
pub mod manifests;
pub mod model;
pub mod operation;
#[cfg(feature = "git")]
pub mod parse_memo;
pub mod redact;
pub mod render;
pub mod secret;
pub mod source;
pub mod validate;
pub mod verdict;
pub mod yaml;

pub use error::{Error, ExitCode};
pub use validate::diagnostic::Diagnostic;
