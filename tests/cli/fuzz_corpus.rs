//! The fuzz corpus and every crash reproducer (`fuzz/artifacts/`) as regression tests: each
//! goes through load, validate and render without a panic.

use std::path::Path;

#[test]
fn the_fuzz_corpus_and_reproducers_run_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus/load_validate", "artifacts/load_validate"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            // The kept corpus is the `.yaml` seeds; libFuzzer's own finds (hash names) stay local.
            let kept = if dir.starts_with("corpus") {
                path.extension().is_some_and(|e| e == "yaml")
            } else {
                path.file_name().is_some_and(|n| n != ".keep")
            };
            if !kept {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| tenantctl::fuzz::load_validate_render(&bytes));
            assert!(result.is_ok(), "{} panics", path.display());
            count += 1;
        }
    }
    assert!(count >= 10, "the corpus has {count} files");
    // And it really validates: a clean guild file passes, a broken one does not.
    assert_eq!(
        tenantctl::fuzz::guild_findings(b"guild_id: \"1\"\ntier: \"free\"\n"),
        0
    );
    assert_eq!(
        tenantctl::fuzz::guild_findings(b"guild_id: \"1\"\ntier: \"gold\"\n"),
        1
    );
}
