//! ApplicationSets of bounded size. One ApplicationSet generating 100,000 Applications hits
//! Argo CD's limits (argo-cd #9002: 30 minutes to generate 5,155 apps; #24689: a status over
//! 3 MiB), so the guilds' and the tenants' sets are split into shards of at most
//! `argocd.shardSize` Applications each.
//!
//! A shard is a list of git files generator paths by ID prefix: `guilds/guild-1*.yaml` takes
//! every ID starting with 1. Prefixes come from a trie over the IDs that exist: a prefix with
//! more IDs than a shard holds is split into the exact ID (`guilds/guild-1.yaml`) and one prefix
//! per next character, so the paths of all shards never overlap and together still match every
//! possible ID (a new guild always has a shard). Neighbouring prefixes are packed into one shard
//! while it has room. Files stay where they are and Application names stay `guild-<id>`: a
//! re-shard only changes which set generates an Application.

/// One shard: the generator's paths and how many of today's IDs they match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    pub paths: Vec<String>,
    pub count: usize,
}

/// A trie leaf: every ID starting with the prefix, or exactly the prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Leaf {
    Prefix(String),
    Exact(String),
}

/// Deeper than any ID can be (IDs are at most 63 characters): a prefix is never split further.
const MAX_DEPTH: usize = 64;

/// Shards over `ids` (any order) with at most `size` IDs each; `path` makes a generator path
/// from a glob of the ID (`1*`, or an exact ID). `alphabet` holds every character an ID may
/// start or continue with, in the order shards are packed.
pub fn shards(
    ids: &[&str],
    alphabet: &[char],
    size: usize,
    path: impl Fn(&str) -> String,
) -> Vec<Shard> {
    let size = size.max(1);
    let mut sorted: Vec<&str> = ids.to_vec();
    sorted.sort_unstable();
    let mut leaves = Vec::new();
    split(&sorted, "", alphabet, size, &mut leaves);
    let mut out: Vec<Shard> = Vec::new();
    let mut current = Shard {
        paths: Vec::new(),
        count: 0,
    };
    for (leaf, count) in leaves {
        if !current.paths.is_empty() && current.count + count > size {
            out.push(std::mem::replace(
                &mut current,
                Shard {
                    paths: Vec::new(),
                    count: 0,
                },
            ));
        }
        current.paths.push(match leaf {
            Leaf::Prefix(prefix) => path(&format!("{prefix}*")),
            Leaf::Exact(id) => path(&id),
        });
        current.count += count;
    }
    out.push(current);
    out
}

/// The leaves under `prefix` of the IDs in `ids` (sorted, all starting with `prefix`).
fn split(ids: &[&str], prefix: &str, alphabet: &[char], size: usize, out: &mut Vec<(Leaf, usize)>) {
    if ids.len() <= size || prefix.len() >= MAX_DEPTH {
        out.push((Leaf::Prefix(prefix.to_string()), ids.len()));
        return;
    }
    if !prefix.is_empty() {
        let exact = ids.iter().filter(|id| **id == prefix).count();
        out.push((Leaf::Exact(prefix.to_string()), exact));
    }
    for c in alphabet {
        let child = format!("{prefix}{c}");
        let start = ids.partition_point(|id| *id < child.as_str());
        let end = start + ids[start..].partition_point(|id| id.starts_with(&child));
        split(&ids[start..end], &child, alphabet, size, out);
    }
}

/// Characters of a guild ID (a Discord snowflake).
pub const GUILD_ID_ALPHABET: [char; 10] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/// Characters of a tenantId (a DNS label: lowercase letters, digits, `-`).
pub const TENANT_ID_ALPHABET: [char; 37] = [
    '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
    'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
];

/// The name of shard `index` (from 0) of `count`: the configured name alone when there is one
/// shard, so a repo that never grows past one keeps its ApplicationSet.
pub fn shard_name(base: &str, index: usize, count: usize) -> String {
    if count <= 1 {
        base.to_string()
    } else {
        format!("{base}-{}", index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guild_path(glob: &str) -> String {
        format!("guilds/guild-{glob}.yaml")
    }

    #[test]
    fn a_small_repo_has_one_shard_matching_every_guild() {
        let got = shards(&["1", "22"], &GUILD_ID_ALPHABET, 1000, guild_path);
        assert_eq!(
            got,
            [Shard {
                paths: vec!["guilds/guild-*.yaml".into()],
                count: 2
            }]
        );
    }

    #[test]
    fn big_prefixes_split_and_neighbours_pack_up_to_the_size() {
        let ids: Vec<String> = (0..2500u64).map(|i| (1_000 + i * 3).to_string()).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let got = shards(&refs, &GUILD_ID_ALPHABET, 1000, guild_path);
        assert!(got.iter().all(|s| s.count <= 1000), "{got:?}");
        assert_eq!(got.iter().map(|s| s.count).sum::<usize>(), 2500);
        // Every ID is matched by exactly one path of one shard.
        let globs: Vec<globset::GlobMatcher> = got
            .iter()
            .flat_map(|s| &s.paths)
            .map(|p| crate::apps::pathspec(p).unwrap())
            .collect();
        for id in refs.iter().chain(&["7", "70", "99999999999999999999"]) {
            let path = guild_path(id);
            let matching = globs.iter().filter(|g| g.is_match(&path)).count();
            assert_eq!(matching, 1, "{path}");
        }
    }

    #[test]
    fn shards_are_named_after_the_configured_set() {
        assert_eq!(shard_name("guilds", 0, 1), "guilds");
        assert_eq!(shard_name("guilds", 2, 3), "guilds-3");
    }
}
