//! One writer per output format, chosen once from the command line (as kubeconform's output
//! package does): `table`, `json` and `yaml` for listings (`list`, `apps`, `secret list`);
//! `human`, `json`, `github` and `junit` for `validate`'s findings. A command builds what it
//! shows once and hands it to the writer; no command matches on the format itself.

use anyhow::Context as _;
use serde::Serialize;
use tenantctl::Diagnostic;
use tenantctl::error::Result;

use super::table::print_rows;
use crate::cli::{DiagnosticFormat, OutputFormat};

/// A listing as people read it.
pub struct TableView {
    /// The rows, header first; `None` prints no table at all.
    pub rows: Option<Vec<Vec<String>>>,
    /// Lines printed after the table, on stdout.
    pub after: Vec<String>,
    /// Said on stderr instead of a table (unless `--quiet`), e.g. that there is nothing to list.
    pub note: Option<String>,
}

/// What a listing gives every writer: its rows as data (the stable JSON/YAML shape) and, built
/// only when asked for, as a table.
pub trait Listing {
    fn data(&self) -> Result<serde_json::Value>;
    fn table(&self) -> TableView;
}

/// Rows of any serializable type with the function that lays them out as a table.
pub struct Rows<'a, T, F> {
    pub rows: &'a [T],
    pub table: F,
}

impl<T: Serialize, F: Fn(&[T]) -> TableView> Listing for Rows<'_, T, F> {
    fn data(&self) -> Result<serde_json::Value> {
        Ok(serde_json::to_value(self.rows).context("serializing the rows")?)
    }

    fn table(&self) -> TableView {
        (self.table)(self.rows)
    }
}

/// Writes a listing in one format.
pub trait ListingWriter {
    fn write(&self, listing: &dyn Listing, quiet: bool) -> Result<()>;
}

struct TableWriter;
struct JsonWriter;
struct YamlWriter;

impl ListingWriter for TableWriter {
    fn write(&self, listing: &dyn Listing, quiet: bool) -> Result<()> {
        let view = listing.table();
        if let Some(rows) = &view.rows {
            print_rows(rows);
        }
        for line in &view.after {
            outln!("{line}");
        }
        if let Some(note) = view.note
            && !quiet
        {
            eprintln!("{note}");
        }
        Ok(())
    }
}

impl ListingWriter for JsonWriter {
    fn write(&self, listing: &dyn Listing, _quiet: bool) -> Result<()> {
        outln!(
            "{}",
            serde_json::to_string_pretty(&listing.data()?).context("writing JSON")?
        );
        Ok(())
    }
}

impl ListingWriter for YamlWriter {
    fn write(&self, listing: &dyn Listing, _quiet: bool) -> Result<()> {
        out!(
            "{}",
            serde_saphyr::to_string(&listing.data()?).context("writing YAML")?
        );
        Ok(())
    }
}

/// The writer for `--output`.
pub fn listing_writer(format: OutputFormat) -> &'static dyn ListingWriter {
    match format {
        OutputFormat::Table => &TableWriter,
        OutputFormat::Json => &JsonWriter,
        OutputFormat::Yaml => &YamlWriter,
    }
}

/// What `validate` found, for its writers.
pub struct Findings<'a> {
    pub diagnostics: &'a [Diagnostic],
    /// Every file checked (JUnit's test cases, the human summary's count).
    pub files: &'a [String],
    /// The diff of the generated files that are out of date (people read it on stderr).
    pub stale_diff: &'a str,
    /// How many rendered Argo CD objects were checked against their CRDs.
    pub argo_count: Option<usize>,
    /// How many manifests `--manifests` built and checked.
    pub manifest_count: Option<usize>,
    pub quiet: bool,
}

/// Writes `validate`'s findings in one format.
pub trait DiagnosticWriter {
    fn write(&self, findings: &Findings) -> Result<()>;
}

struct HumanWriter;
struct DiagnosticJsonWriter;
struct GithubWriter;
struct JunitWriter;

impl DiagnosticWriter for HumanWriter {
    fn write(&self, findings: &Findings) -> Result<()> {
        super::output::print_diagnostics(findings.diagnostics);
        if !findings.stale_diff.is_empty() {
            eprint!("{}", super::output::colour_diff(findings.stale_diff, true));
        }
        if findings.quiet {
            return Ok(());
        }
        let errors = findings.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = findings.diagnostics.len() - errors;
        let mut built = findings
            .argo_count
            .map(|n| format!(", {n} Argo CD objects checked against their CRDs"))
            .unwrap_or_default();
        if let Some(n) = findings.manifest_count {
            built += &format!(", {n} manifests checked");
        }
        let files = findings.files.len();
        if errors == 0 {
            outln!("{files} files valid{built}, {warnings} warning(s)");
        } else {
            eprintln!("{errors} error(s), {warnings} warning(s) in {files} files{built}");
        }
        Ok(())
    }
}

impl DiagnosticWriter for DiagnosticJsonWriter {
    fn write(&self, findings: &Findings) -> Result<()> {
        outln!(
            "{}",
            serde_json::to_string_pretty(findings.diagnostics).context("writing JSON")?
        );
        Ok(())
    }
}

impl DiagnosticWriter for GithubWriter {
    fn write(&self, findings: &Findings) -> Result<()> {
        out!("{}", super::report::github(findings.diagnostics));
        Ok(())
    }
}

impl DiagnosticWriter for JunitWriter {
    fn write(&self, findings: &Findings) -> Result<()> {
        out!(
            "{}",
            super::report::junit(findings.files, findings.diagnostics)
        );
        Ok(())
    }
}

/// The writer for `validate --format`.
pub fn diagnostic_writer(format: DiagnosticFormat) -> &'static dyn DiagnosticWriter {
    match format {
        DiagnosticFormat::Human => &HumanWriter,
        DiagnosticFormat::Json => &DiagnosticJsonWriter,
        DiagnosticFormat::Github => &GithubWriter,
        DiagnosticFormat::Junit => &JunitWriter,
    }
}
