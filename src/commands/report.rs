//! Diagnostics in the formats CI systems read: JSON, GitHub workflow commands, JUnit XML.

use std::fmt::Write as _;

use tenantctl::Diagnostic;
use tenantctl::validate::diagnostic::Severity;

/// `::error file=F,line=L,col=C,title=CODE::message` per finding (GitHub Actions annotations).
pub fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let level = if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        let mut message = d.message.clone();
        if let Some(hint) = &d.hint {
            message = format!("{message}\nhelp: {hint}");
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},title={}::{}",
            escape_property(&d.file.to_string_lossy()),
            d.line,
            d.column,
            escape_property(d.code),
            escape_data(&message)
        );
    }
    out
}

/// Workflow-command data: `%`, CR and LF are escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command properties: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// JUnit XML: one test case per checked file, a failure per error (warnings as system-out).
pub fn junit(files: &[String], diagnostics: &[Diagnostic]) -> String {
    let failed_files = files
        .iter()
        .filter(|f| {
            diagnostics
                .iter()
                .any(|d| d.is_error() && d.file.to_string_lossy() == f.as_str())
        })
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"tenantctl validate\" tests=\"{}\" failures=\"{failed_files}\">",
        files.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"tenantctl validate\" tests=\"{}\" failures=\"{failed_files}\" errors=\"0\">",
        files.len()
    );
    for file in files {
        let found: Vec<&Diagnostic> = diagnostics
            .iter()
            .filter(|d| d.file.to_string_lossy() == file.as_str())
            .collect();
        let _ = writeln!(
            out,
            "    <testcase classname=\"tenantctl\" name=\"{}\">",
            xml(file)
        );
        for d in found.iter().filter(|d| d.is_error()) {
            let body = format!(
                "{}:{}:{}: {}{}",
                file,
                d.line,
                d.column,
                d.message,
                d.hint
                    .as_ref()
                    .map(|h| format!("\nhelp: {h}"))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                d.code,
                xml(&d.message),
                xml(&body)
            );
        }
        let warnings: Vec<String> = found
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| {
                format!(
                    "{}:{}:{}: warning[{}]: {}",
                    file, d.line, d.column, d.code, d.message
                )
            })
            .collect();
        if !warnings.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                xml(&warnings.join("\n"))
            );
        }
        out += "    </testcase>\n";
    }
    out += "  </testsuite>\n</testsuites>\n";
    out
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
