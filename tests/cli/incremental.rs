//! The incremental path of a mutating command (issue 13): on a commit tenantctl made, an
//! operation renders only the overlays its change touches and trusts the unchanged files' own
//! checks. Its verdicts and its writes must be exactly those of a whole validate and render, so
//! this drives 200 random edit sequences (guilds and tenants created, changed, deleted, and
//! hostile ones: taken IDs, namespaces and domains, unknown tiers and types, broken YAML,
//! several files at once) through both and through a full `validate`, in process. Between
//! sequences, generated files are edited by hand now and then, and the drift the render memo
//! finds must be the drift a whole render finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tenantctl::apply::{self, Wanted};
use tenantctl::load::Snapshot;
use tenantctl::operation::desired_state;
use tenantctl::source::Disk;
use tenantctl::validate::{self, Schemas};
use tenantctl::{Diagnostic, Error};

use crate::support::{Rng, World, fails_with, ok, text};

type Change = BTreeMap<String, Option<String>>;

fn guild_file(id: &str, tier: &str, cpu_limit: Option<&str>) -> String {
    let mut text = format!("guild_id: \"{id}\"\ntier: \"{tier}\"\n");
    if let Some(limit) = cpu_limit {
        text += &format!("backend_cpu_limit: \"{limit}\"\n");
    }
    text
}

fn tenant_file(id: &str, kind: &str, environment: Option<&str>, domain: Option<&str>) -> String {
    let mut text = format!(
        "apiVersion: shop.pilab.hu/v1alpha1\nkind: Tenant\nmetadata:\n  name: {id}\n  namespace: default\nspec:\n  tenantId: \"{id}\"\n  tenantType: \"{kind}\"\n  imageTag: \"v1.2.3\"\n  active: true\n  services:\n    - \"api\"\n"
    );
    if let Some(environment) = environment {
        text += &format!("  environment: \"{environment}\"\n");
    }
    if let Some(domain) = domain {
        text += &format!("  customDomain: \"{domain}\"\n");
    }
    text
}

/// One random edit of the repo as `snapshot` holds it: what an operation, or a teammate's
/// hand, could change in one commit.
fn random_change(rng: &mut Rng, snapshot: &Snapshot) -> Change {
    let guilds: Vec<&String> = snapshot.guilds.keys().collect();
    let tenants: Vec<&String> = snapshot.tenants.keys().collect();
    let existing_guild_ids: Vec<String> = guilds
        .iter()
        .map(|p| {
            p.trim_start_matches("guilds/guild-")
                .trim_end_matches(".yaml")
                .to_string()
        })
        .collect();
    let existing_tenant_ids: Vec<String> = tenants
        .iter()
        .map(|p| {
            p.trim_start_matches("tenants/")
                .trim_end_matches(".yaml")
                .to_string()
        })
        .collect();
    let new_guild_id = format!("{}", 100_000 + rng.below(900_000));
    // A small pool, so that tenants meet: the same ID, environment or domain.
    let new_tenant_id = format!(
        "{}-{}",
        rng.pick(&["shop", "shop-a", "cafe"]),
        rng.below(12)
    );
    let tier = *rng.pick(&["free", "free", "pro", "gold"]);
    let kind = *rng.pick(&["production", "staging", "development", "production", "qa"]);
    let environment = *rng.pick(&[None, None, Some("a"), Some("prod"), Some("Bad_Env")]);
    let domain = *rng.pick(&[
        None,
        None,
        Some("shop.example.com"),
        Some("cafe.example.com"),
    ]);
    let cpu = *rng.pick(&[None, Some("300m"), Some("2"), Some("lots")]);
    let mut change = Change::new();
    match rng.below(10) {
        0 | 1 => {
            change.insert(
                format!("guilds/guild-{new_guild_id}.yaml"),
                Some(guild_file(&new_guild_id, tier, cpu)),
            );
        }
        2 if !guilds.is_empty() => {
            let path = rng.pick(&guilds);
            let id = path
                .trim_start_matches("guilds/guild-")
                .trim_end_matches(".yaml");
            change.insert(path.to_string(), Some(guild_file(id, tier, cpu)));
        }
        3 if !guilds.is_empty() => {
            change.insert(rng.pick(&guilds).to_string(), None);
        }
        4 if !existing_guild_ids.is_empty() => {
            // A second file claiming a guild that has one (by hand: a copied file).
            let taken = rng.pick(&existing_guild_ids);
            change.insert(
                format!("guilds/guild-{new_guild_id}.yaml"),
                Some(guild_file(taken, tier, None)),
            );
        }
        5 | 6 => {
            change.insert(
                format!("tenants/{new_tenant_id}.yaml"),
                Some(tenant_file(&new_tenant_id, kind, environment, domain)),
            );
        }
        7 if !tenants.is_empty() => {
            let path = rng.pick(&tenants);
            let id = path
                .trim_start_matches("tenants/")
                .trim_end_matches(".yaml");
            let claimed = if rng.below(4) == 0 && !existing_tenant_ids.is_empty() {
                // A tenantId already used by another file.
                rng.pick(&existing_tenant_ids).clone()
            } else {
                id.to_string()
            };
            change.insert(
                path.to_string(),
                Some(tenant_file(&claimed, kind, environment, domain)),
            );
        }
        8 if !tenants.is_empty() => {
            change.insert(rng.pick(&tenants).to_string(), None);
        }
        9 if rng.below(3) == 0 && !existing_guild_ids.is_empty() => {
            // A secret file by hand that is not one tenantctl keeps (plaintext): the owner's
            // overlay is touched, and the file refused.
            let owner = rng.pick(&existing_guild_ids);
            change.insert(
                format!("secrets/guild-{owner}/token.yaml"),
                Some("apiVersion: v1\nkind: Secret\nstringData:\n  token: hunter2\n".into()),
            );
        }
        _ => {
            // Several files in one commit, one of them perhaps not YAML at all.
            change.insert(
                format!("guilds/guild-{new_guild_id}.yaml"),
                Some(guild_file(&new_guild_id, tier, None)),
            );
            let text = if rng.below(3) == 0 {
                "spec: [unclosed\n".to_string()
            } else {
                tenant_file(&new_tenant_id, kind, None, domain)
            };
            change.insert(format!("tenants/{new_tenant_id}.yaml"), Some(text));
            if let Some(path) = guilds.first().filter(|_| rng.below(2) == 0) {
                change.insert(path.to_string(), None);
            }
        }
    }
    change
}

/// What a plan writes: every wanted path whose file does not hold its text already.
fn writes(wanted: &Wanted, unchanged: &BTreeSet<String>) -> Wanted {
    wanted
        .iter()
        .filter(|(path, _)| !unchanged.contains(*path))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect()
}

type Found = (String, usize, usize, &'static str, String);

/// The errors among `diagnostics`, as (file, line, column, code, message), sorted.
fn errors(diagnostics: &[Diagnostic]) -> Vec<Found> {
    let mut found: Vec<Found> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let file = d.file.display().to_string();
            (file, d.line, d.column, d.code, d.message.clone())
        })
        .collect();
    found.sort();
    found
}

/// The errors of a refusal.
fn errors_of(error: &Error) -> Vec<Found> {
    match error {
        Error::Invalid(found) => errors(found),
        other => panic!("not a validation refusal: {other}"),
    }
}

/// Changes one generated file the way a hand would: appends a line, drops its header, or
/// removes it. Which file it was.
fn edit_a_generated_file(rng: &mut Rng, root: &Path) -> Option<std::path::PathBuf> {
    let files: Vec<_> = walkdir::WalkDir::new(root.join("kustomize"))
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            p.components()
                .any(|c| c.as_os_str() == "guilds" || c.as_os_str() == "tenants")
        })
        .collect();
    if files.is_empty() {
        return None;
    }
    let file = rng.pick(&files).clone();
    let text = std::fs::read_to_string(&file).unwrap();
    match rng.below(3) {
        0 => std::fs::write(&file, text + "# edited by hand\n").unwrap(),
        1 => std::fs::write(&file, text.split_once('\n').map_or("", |(_, rest)| rest)).unwrap(),
        _ => std::fs::remove_file(&file).unwrap(),
    }
    Some(file)
}

/// What `validate` and `render --check` see: the plan's changes and every finding, as text.
fn drift_of(root: &Path) -> (Vec<String>, Vec<String>) {
    let snapshot = Snapshot::load(root).unwrap();
    let model = validate::validate(&snapshot, &Schemas::load(root).unwrap())
        .into_model()
        .unwrap();
    let templates = tenantctl::render::Templates::load(root).unwrap();
    let drift =
        tenantctl::drift::drift(root, &model, &templates, tenantctl::drift::Scope::All).unwrap();
    let changes = drift
        .plan
        .changes
        .iter()
        .map(|c| format!("{} {:?} -> {:?}", c.path, c.old, c.new))
        .collect();
    let found = drift.diagnostics.iter().map(|d| format!("{d:?}")).collect();
    (changes, found)
}

fn step(root: &Path, schemas: &Schemas, change: &Change, context: &str) -> bool {
    let snapshot = Snapshot::load(root).unwrap();
    let disk = Disk::new(root);
    let incremental = desired_state(&disk, &snapshot, change, true);
    let whole = desired_state(&disk, &snapshot, change, false);
    let full = validate::validate(&snapshot.with_changes(change), schemas);
    let full_errors = errors(&full.diagnostics);
    match (incremental, whole) {
        (Ok((wanted, notes, unchanged)), Ok((whole_wanted, whole_notes, whole_unchanged))) => {
            assert!(
                full_errors.is_empty(),
                "{context}: the incremental path accepted what validate refuses: {full_errors:#?}"
            );
            assert_eq!(
                writes(&wanted, &unchanged),
                writes(&whole_wanted, &whole_unchanged),
                "{context}: the incremental path writes other files than the whole render"
            );
            assert_eq!(notes, whole_notes, "{context}");
            let plan = apply::plan_knowing(root, &wanted, &unchanged).unwrap();
            apply::apply(root, &plan).unwrap();
            true
        }
        (Err(incremental), Err(whole)) => {
            let mine = errors_of(&incremental);
            let theirs = errors_of(&whole);
            assert_eq!(
                mine, theirs,
                "{context}: the incremental path refuses differently from the whole one"
            );
            assert_eq!(
                mine, full_errors,
                "{context}: the incremental path's errors differ from a full validate's"
            );
            false
        }
        (incremental, whole) => panic!(
            "{context}: the incremental path {} but the whole one {}",
            if incremental.is_ok() {
                "accepted"
            } else {
                "refused"
            },
            if whole.is_ok() { "accepted" } else { "refused" },
        ),
    }
}

#[test]
fn incremental_verdicts_equal_a_full_validate_over_200_random_edit_sequences() {
    let world = World::new();
    world.platform_with_remote();
    let root = world.platform();
    // The starting repo is current: its generated files are what its inputs render to.
    ok(&world.tenantctl(&["render"]));
    let schemas = Schemas::load(&root).unwrap();
    let (mut accepted, mut refused, mut stale) = (0, 0, 0);
    for sequence in 0..200u64 {
        let mut rng =
            Rng(0x9E37_79B9_7F4A_7C15 ^ (sequence + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        for edit in 0..4 {
            let snapshot = Snapshot::load(&root).unwrap();
            let change = random_change(&mut rng, &snapshot);
            let context = format!("sequence {sequence}, edit {edit}: {change:?}");
            if step(&root, &schemas, &change, &context) {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        // A teammate's hand in a generated file now and then: the overlays found current by
        // the render memo must be exactly those a whole render finds current.
        let edited = if rng.below(3) == 0 {
            edit_a_generated_file(&mut rng, &root)
        } else {
            None
        };
        let context = format!("sequence {sequence}: drift");
        let remembered = drift_of(&root);
        std::fs::remove_file(root.join(".git/tenantctl-render-memo")).unwrap();
        assert_eq!(
            remembered,
            drift_of(&root),
            "{context}: the memo changed the answer"
        );
        // Repaired, so the next sequence starts from a current repo again (a file without
        // tenantctl's header is one it would not overwrite: the hand that made it removes it).
        if let Some(file) = edited {
            stale += 1;
            let _ = std::fs::remove_file(file);
        }
        let plan = tenantctl::drift::drift_of_repo(&root, &Snapshot::load(&root).unwrap()).unwrap();
        apply::apply(&root, &plan).unwrap();
    }
    // Both kinds of verdict were exercised many times, not only one.
    assert!(
        accepted >= 200 && refused >= 150,
        "accepted {accepted}, refused {refused}"
    );
    assert!(stale >= 20, "hand edits of generated files: {stale}");
    // After every accepted edit the repo is still current, as a whole render sees it.
    ok(&world.tenantctl(&["render", "--check"]));
    ok(&world.tenantctl(&["validate"]));
}

fn tree_of(world: &World, dir: &Path, rev: &str) -> String {
    let out = world.git_in(dir, &["rev-parse", &format!("{rev}^{{tree}}")]);
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn create_on_a_commit_tenantctl_made_commits_the_tree_a_whole_render_commits() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "pro"]));
    ok(&world.tenantctl(&["create-tenant", "shop-1", "--type", "staging"]));
    let record = world.platform().join(".git/tenantctl-verified-trees");
    let recorded = std::fs::read_to_string(&record).unwrap();
    assert!(
        recorded.contains(&tree_of(&world, &world.platform(), "HEAD")),
        "the commit tenantctl made is recorded: {recorded}"
    );
    // A second clone of the same commit without the record renders everything.
    let other = world.path().join("other");
    world.git_in(
        world.path(),
        &[
            "clone",
            "-q",
            &world.remote().display().to_string(),
            "other",
        ],
    );
    assert!(!other.join(".git/tenantctl-verified-trees").exists());
    for dir in [world.platform(), other.clone()] {
        ok(&world.tenantctl_in(&dir, &["create-guild", "2", "--tier", "free", "--no-push"]));
        ok(&world.tenantctl_in(&dir, &["update-guild", "1", "--tier", "free", "--no-push"]));
        ok(&world.tenantctl_in(&dir, &["delete-tenant", "shop-1", "--yes", "--no-push"]));
    }
    assert_eq!(
        tree_of(&world, &world.platform(), "HEAD"),
        tree_of(&world, &other, "HEAD"),
        "the incremental and the whole path commit the same tree"
    );
    ok(&world.tenantctl(&["render", "--check"]));
}

#[test]
fn a_commit_made_by_hand_is_not_trusted_to_be_current() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "3", "--tier", "pro"]));
    ok(&world.tenantctl(&["create-tenant", "shop-1", "--type", "staging"]));
    // A teammate commits a hand edit of a generated file and removes another: the tree is not
    // one tenantctl made.
    let overlay = "kustomize/guilds/guild-1/kustomization.yaml";
    let edited = world.read(overlay) + "# edited by hand\n";
    world.write(overlay, &edited);
    let removed = "kustomize/tenants/shop-1/params.yaml";
    world.git(&["rm", "-q", removed]);
    world.git(&["commit", "-qam", "hand edit"]);
    let out = ok(&world.tenantctl(&["create-guild", "2", "--tier", "free", "--no-push"]));
    assert!(
        out.contains(&format!("updated {overlay}")) && out.contains(&format!("created {removed}")),
        "the next command renders the whole repo and repairs the edits: {out}"
    );
    assert!(!world.read(overlay).contains("edited by hand"));
    // The overlays the commit already held as rendered are left as they are.
    let out = world.git(&["show", "--name-only", "--format=", "HEAD"]);
    let touched: Vec<&str> = out.lines().collect();
    for path in [overlay, removed, "guilds/guild-2.yaml"] {
        assert!(touched.contains(&path), "{path}: {touched:?}");
    }
    assert!(
        touched
            .iter()
            .all(|path| !path.starts_with("kustomize/guilds/guild-3/")
                && !path.starts_with("kustomize/guilds/guild-1/isolation")
                && (*path == removed || !path.starts_with("kustomize/tenants/shop-1/"))),
        "{touched:?}"
    );
    ok(&world.tenantctl(&["render", "--check"]));
}

#[test]
fn validate_with_the_render_memo_warm_still_finds_a_hand_edit_and_a_template_change() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-tenant", "shop-1", "--type", "staging"]));
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "pro"]));
    ok(&world.tenantctl(&["validate"]));
    let memo = world.platform().join(".git/tenantctl-render-memo");
    assert!(
        memo.exists(),
        "validate remembers what the overlays render to"
    );
    let resources = "kustomize/tenants/shop-1/resources.yaml";
    let original = world.read(resources);
    world.write(resources, &(original.clone() + "# edited by hand\n"));
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains(&format!(
            "{resources}:1:1: error[E400]: generated file is out of date"
        )),
        "{out}"
    );
    world.write(resources, &original);
    ok(&world.tenantctl(&["validate"]));
    // A repo's own copy of a template changes what every guild overlay renders to.
    let template = "templates/guild-isolation.yaml.j2";
    let text = world.read(template);
    world.write(template, &text.replacen("\n", "\n# a new comment\n", 1));
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains("kustomize/guilds/guild-1/isolation.yaml:1:1: error[E400]"),
        "{out}"
    );
    // A memo that is not one is read as none.
    world.write(template, &text);
    std::fs::write(&memo, "not a memo\n\u{0}\u{ff}").unwrap();
    ok(&world.tenantctl(&["validate"]));
    world.write(resources, "");
    fails_with(&world.tenantctl(&["validate"]), 1);
}

#[test]
fn an_edit_that_keeps_size_and_modification_time_is_still_found() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    // git's index now records each generated file's times, inode and size; validate takes a
    // file whose record still matches as holding the indexed blob, as `git status` does.
    ok(&world.tenantctl(&["validate"]));
    let overlay = "kustomize/guilds/guild-1/isolation.yaml";
    let path = world.platform().join(overlay);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let text = world.read(overlay);
    let edited = text.replacen("guild-1", "guild-7", 1);
    assert_eq!(edited.len(), text.len());
    assert_ne!(edited, text);
    std::thread::sleep(std::time::Duration::from_millis(20));
    world.write(overlay, &edited);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    let out = fails_with(&world.tenantctl(&["validate"]), 1);
    assert!(
        out.contains(&format!("{overlay}:1:1: error[E400]")),
        "the changed inode time gives it away: {out}"
    );
}

#[test]
fn the_parse_memo_gives_the_verdicts_and_positions_a_fresh_parse_gives() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&[
        "create-tenant",
        "shop-1",
        "--type",
        "staging",
        "--domain",
        "shop.example.com",
    ]));
    ok(&world.tenantctl(&["create-guild", "7", "--tier", "pro"]));
    // By hand: a second tenant claiming the first one's domain (a rule across files, whose
    // positions point into a file the memo knows), and a guild with a YAML 1.1 trap.
    let first = world.read("tenants/shop-1.yaml");
    world.write(
        "tenants/shop-2.yaml",
        &first
            .replace("name: \"shop-1\"", "name: \"shop-2\"")
            .replace("tenantId: \"shop-1\"", "tenantId: \"shop-2\""),
    );
    world.write(
        "guilds/guild-8.yaml",
        "guild_id: \"8\"\ntier: \"free\"\nbackend_cpu_limit: 0755\n",
    );
    // A credential: known from the memo not to be clean, so reported again.
    world.write(
        "guilds/guild-10.yaml",
        "guild_id: \"10\"\ntier: \"free\"\nbackend_api_token: \"q8Zr2LmX9vTw4KpB7nYc\"\n",
    );
    // A float: JSON does not read every one back to the same last digit, so never memoised.
    world.write(
        "guilds/guild-9.yaml",
        "guild_id: \"9\"\ntier: \"free\"\nweight: 0.30000000000000004\n",
    );
    let memo = world.platform().join(".git/tenantctl-parse-memo");
    let verdict = || {
        let out = world.tenantctl(&["validate", "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let _ = std::fs::remove_file(&memo);
    let fresh = verdict();
    assert!(memo.exists(), "validate remembers what it parsed");
    let remembered = std::fs::read_to_string(&memo).unwrap();
    assert!(
        remembered.lines().count() > 3,
        "the guild and tenant files are in it"
    );
    assert!(
        remembered.contains("\"guild_id\":\"8\"") && !remembered.contains("0.3000"),
        "{remembered}"
    );
    for expected in [
        "tenants/shop-",
        "guilds/guild-8.yaml",
        "\"line\": 3",
        "guilds/guild-10.yaml",
        "E319",
    ] {
        assert!(fresh.contains(expected), "{expected} in {fresh}");
    }
    // Every file from the memo now: the same findings, at the same lines and columns.
    assert_eq!(verdict(), fresh);
    // A memo of another binary, or a torn one, is read as none.
    let text_of_memo = std::fs::read_to_string(&memo).unwrap();
    let (_, entries) = text_of_memo.split_once('\n').unwrap();
    std::fs::write(
        &memo,
        format!(
            "tenantctl-parse-memo 1 another-binary\n{}",
            entries.replace("shop.example.com", "other.example.com")
        ),
    )
    .unwrap();
    assert_eq!(verdict(), fresh);
    let torn = std::fs::read_to_string(&memo).unwrap();
    std::fs::write(&memo, &torn[..torn.len() / 2]).unwrap();
    assert_eq!(verdict(), fresh);
    // And create, which reads the commit through the memo, refuses as a fresh parse does.
    std::fs::remove_file(world.platform().join("guilds/guild-8.yaml")).unwrap();
    std::fs::remove_file(world.platform().join("guilds/guild-9.yaml")).unwrap();
    std::fs::remove_file(world.platform().join("guilds/guild-10.yaml")).unwrap();
    std::fs::remove_file(world.platform().join("tenants/shop-2.yaml")).unwrap();
    ok(&world.tenantctl(&["validate"]));
    fails_with(
        &world.tenantctl(&[
            "create-tenant",
            "shop-3",
            "--type",
            "staging",
            "--domain",
            "shop.example.com",
        ]),
        1,
    );
}

#[test]
fn the_plan_of_a_few_paths_is_their_plan_among_many() {
    // A commit's plan looks a few wanted paths up one by one and reads the whole base tree for
    // many: both must see the same old files.
    let world = World::new();
    world.platform_with_remote();
    for i in 0..80 {
        world.write(&format!("notes/n-{i}.txt"), &format!("note {i}\n"));
    }
    world.write("notes/dir/inner.txt", "inside a folder\n");
    world.git(&["add", "-A"]);
    world.git(&["commit", "-qm", "notes"]);
    let git = tenantctl::git::GitRepo::open(&world.platform()).unwrap();
    let head = git.head().unwrap();
    let mut wanted: Change = (0..80)
        .map(|i| {
            let text = match i % 4 {
                1 => Some(format!("changed {i}\n")),
                2 => None,
                _ => Some(format!("note {i}\n")),
            };
            (format!("notes/n-{i}.txt"), text)
        })
        .collect();
    for (path, text) in [
        ("notes/new.txt", Some("new\n")),
        ("notes/dir", Some("a file where a folder is\n")),
        ("notes/n-1.txt/below", Some("below a file\n")),
        ("missing/deep/path.txt", None),
    ] {
        wanted.insert(path.into(), text.map(String::from));
    }
    let many = git.plan_tree(head, &wanted, &BTreeSet::new()).unwrap();
    let entries: Vec<_> = wanted.into_iter().collect();
    let mut few = Vec::new();
    for chunk in entries.chunks(5) {
        let part: Change = chunk.iter().cloned().collect();
        few.extend(
            git.plan_tree(head, &part, &BTreeSet::new())
                .unwrap()
                .plan
                .changes,
        );
    }
    assert_eq!(many.plan.changes, few);
    // 20 changed, 20 removed, the new file, the file where a folder is, the one below a file.
    assert_eq!(many.plan.changes.len(), 43, "{:?}", many.plan.changes);
}

#[test]
fn the_parse_memo_grows_by_appending_and_reads_no_line_cut_short() {
    let world = World::new();
    world.platform_with_remote();
    ok(&world.tenantctl(&["create-guild", "1", "--tier", "free"]));
    ok(&world.tenantctl(&["create-guild", "2", "--tier", "pro"]));
    ok(&world.tenantctl(&["validate"]));
    let memo = world.platform().join(".git/tenantctl-parse-memo");
    let before = std::fs::read_to_string(&memo).unwrap();
    // A create adds its file to the memo without writing the memo again.
    ok(&world.tenantctl(&["create-guild", "3", "--tier", "free"]));
    ok(&world.tenantctl(&["validate"]));
    let after = std::fs::read_to_string(&memo).unwrap();
    assert!(
        after.starts_with(&before) && after.lines().count() > before.lines().count(),
        "appended:\n{before}\n---\n{after}"
    );
    // Guild 1's entry, altered (an unknown tier) and cut short as by a command killed while
    // appending: its length gives it away, so the file is parsed again, and the next entry is
    // appended on a line of its own.
    let (header, entries) = after.split_once('\n').unwrap();
    let guild_1 = entries
        .lines()
        .find(|line| line.contains("\"guild_id\":\"1\""))
        .unwrap();
    let (id, _) = guild_1.split_once(' ').unwrap();
    let altered = guild_1.replace("\"tier\":\"free\"", "\"tier\":\"zzz\"");
    let cut = &altered[..altered.len() - 1];
    // Guild 2's entry altered the same way, whole but for a length that is not the JSON's: not
    // read either.
    let guild_2 = entries
        .lines()
        .find(|line| line.contains("\"guild_id\":\"2\""))
        .unwrap();
    let (id_2, rest) = guild_2.split_once(' ').unwrap();
    let (_, rest) = rest.split_once(' ').unwrap();
    let (clean, json) = rest.split_once(' ').unwrap();
    let json = json.replace("\"tier\":\"pro\"", "\"tier\":\"zzz\"");
    let wrong_length = format!("{id_2} {} {clean} {json}\n", json.len() + 1);
    let others: String = entries
        .lines()
        .filter(|line| !line.starts_with(id) && !line.starts_with(id_2))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&memo, format!("{header}\n{others}{wrong_length}{cut}")).unwrap();
    ok(&world.tenantctl(&["validate"]));
    let mended = std::fs::read_to_string(&memo).unwrap();
    let (_, appended) = mended.split_once(&format!("{cut}\n")).unwrap_or_default();
    assert!(
        appended.lines().any(|line| line == guild_1)
            && appended.lines().any(|line| line == guild_2),
        "guilds 1 and 2 parsed again and appended after the cut line:\n{mended}"
    );
    ok(&world.tenantctl(&["validate"]));
    // A memo of another binary gets nothing appended: the next command writes its own.
    std::fs::write(
        &memo,
        format!("tenantctl-parse-memo 3 another-binary\n{others}"),
    )
    .unwrap();
    ok(&world.tenantctl(&["validate"]));
    let own = std::fs::read_to_string(&memo).unwrap();
    assert!(own.starts_with(&format!("{header}\n")), "{own}");
}
