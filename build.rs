//! Build script: records the git commit for `--version`, generates the man page from the
//! same clap definition the binary uses (`tenantctl man` prints it), and extracts the schemas of
//! the embedded Argo CD CRDs (`schemas/argocd/`) as JSON, so `validate` does not parse 1.4 MB of
//! YAML on every run.

use std::path::PathBuf;

#[path = "src/cli.rs"]
#[allow(dead_code)]
mod cli;

fn main() {
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown commit".to_string());
    println!("cargo:rustc-env=TENANTCTL_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    println!("cargo:rerun-if-changed=src/cli.rs");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let command = <cli::Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .expect("render the man page");
    std::fs::write(out_dir.join("tenantctl.1"), page).expect("write the man page");

    for (crd, schema) in [
        ("applicationset-crd.yaml", "applicationset.schema.json"),
        ("appproject-crd.yaml", "appproject.schema.json"),
    ] {
        let path = PathBuf::from("schemas/argocd").join(crd);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("the embedded Argo CD CRD");
        std::fs::write(out_dir.join(schema), crd_schema(&text)).expect("write the CRD schema");
    }
}

/// The OpenAPI schema of a CRD's first version, as JSON, without its descriptions (four fifths
/// of the bytes, and no part of validation). Nothing else is changed: making it strict is the
/// library's business (src/validate/argo_crd.rs), where it is documented and tested.
fn crd_schema(crd: &str) -> String {
    let crd: serde_json::Value = serde_saphyr::from_str(crd).expect("the CRD is YAML");
    let mut schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    assert!(schema.is_object(), "the CRD has an openAPIV3Schema");
    fn strip(node: &mut serde_json::Value) {
        match node {
            serde_json::Value::Object(map) => {
                // The keyword (a string); a property named `description` is an object and stays.
                if map.get("description").is_some_and(|d| d.is_string()) {
                    map.remove("description");
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut schema);
    schema.to_string()
}
