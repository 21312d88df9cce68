//! Credentials never leave the process: URLs lose their user info before they are written to a
//! file, and any text shown to the user (git's own messages included) has it masked.

/// `url` without user info, for writing into files: `https://user:token@host/x` becomes
/// `https://host/x`. For `ssh://` the user name stays (it is an account, not a secret) and only a
/// password goes. Other forms (`git@host:path`, paths) are returned as they are.
pub fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    if scheme.eq_ignore_ascii_case("ssh") || scheme.eq_ignore_ascii_case("git+ssh") {
        let user = userinfo.split(':').next().unwrap_or_default();
        return format!("{scheme}://{user}@{host}{path}");
    }
    format!("{scheme}://{host}{path}")
}

/// Whether `url` carries user info that may be a secret (anything `strip_credentials` removes).
pub fn has_credentials(url: &str) -> bool {
    strip_credentials(url) != url
}

/// `text` with the user info of every URL in it masked as `***`, for messages.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let scheme_start = before[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map(|i| i + 1)
            .unwrap_or(0);
        let scheme = &before[scheme_start..at];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '\'' | '"' | '>' | ')'))
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let ssh =
                    scheme.eq_ignore_ascii_case("ssh") || scheme.eq_ignore_ascii_case("git+ssh");
                match userinfo.split_once(':') {
                    Some((user, _)) if ssh => out.push_str(&format!("{user}:***@{host}")),
                    None if ssh => out.push_str(authority),
                    _ => out.push_str(&format!("***@{host}")),
                }
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_user_info_from_https_and_passwords_from_ssh() {
        assert_eq!(
            strip_credentials("https://bot:ghp_secret@github.com/acme/p.git"),
            "https://github.com/acme/p.git"
        );
        assert_eq!(
            strip_credentials("https://ghp_secret@github.com/acme/p.git"),
            "https://github.com/acme/p.git"
        );
        assert_eq!(
            strip_credentials("ssh://git:pw@host:22/p.git"),
            "ssh://git@host:22/p.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:acme/p.git"),
            "git@github.com:acme/p.git"
        );
        assert_eq!(strip_credentials("/srv/p.git"), "/srv/p.git");
        assert!(has_credentials("http://u:p@h/x"));
        assert!(!has_credentials("ssh://git@h/x"));
    }

    #[test]
    fn masks_every_url_in_a_message() {
        assert_eq!(
            redact("fatal: unable to access 'https://u:tok3n@h.example/x.git/': 403"),
            "fatal: unable to access 'https://***@h.example/x.git/': 403"
        );
        assert_eq!(
            redact("a http://tok@h b ssh://git@h/x ssh://git:pw@h"),
            "a http://***@h b ssh://git@h/x ssh://git:***@h"
        );
        assert!(!redact("push https://x:secret@h/p to https://y:other@h/q").contains("secret"));
    }
}
