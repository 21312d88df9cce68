//! Syntax checks of the formats Kubernetes and friends use: DNS names, label keys and values,
//! cron expressions, RFC 3339 times, e-mail addresses, credentials in URLs.

/// A Discord snowflake (a guild ID): 1 to 20 digits whose value fits in 64 bits.
pub fn is_snowflake(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 20
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u64>().is_ok()
}

/// A DNS-1123 label: at most 63 of `a-z0-9-`, starting and ending alphanumeric.
pub fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns_subdomain(text: &str) -> bool {
    text.len() <= 253 && text.split('.').all(is_dns_label)
}

/// A fully qualified host name (RFC 1123): two or more labels, no wildcard, port or path.
pub fn is_fqdn(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && is_dns_subdomain(text)
        && !labels
            .last()
            .unwrap_or(&"")
            .bytes()
            .all(|b| b.is_ascii_digit())
}

/// Why a domain is not a plain host name, for a helpful message.
pub fn fqdn_problem(text: &str) -> Option<&'static str> {
    if text.contains('*') {
        Some("a wildcard is not allowed")
    } else if text.contains("://") || text.contains('/') {
        Some("give the host name only, without scheme or path")
    } else if text.contains(':') {
        Some("give the host name only, without a port")
    } else if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Some("write it in lower case")
    } else if !is_fqdn(text) {
        Some("it must be a fully qualified host name such as shop.example.com")
    } else {
        None
    }
}

/// A DNS-1123 subdomain as Kubernetes' apimachinery checks it (`IsDNS1123Subdomain`): at most 253
/// characters of dot-separated `[a-z0-9]([-a-z0-9]*[a-z0-9])?` parts (no limit per part).
pub fn is_k8s_dns_subdomain(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A label or annotation key, exactly Kubernetes' `IsQualifiedName`: an optional DNS-1123
/// subdomain prefix and `/`, then a name of 1 to 63 characters of `A-Za-z0-9-_.`, starting and
/// ending alphanumeric.
pub fn is_qualified_key(key: &str) -> bool {
    qualified_key_problem(key).is_none()
}

/// Why a key is not a qualified name, in the words of Kubernetes' `IsQualifiedName`.
pub fn qualified_key_problem(key: &str) -> Option<&'static str> {
    let parts: Vec<&str> = key.split('/').collect();
    let name = match parts[..] {
        [name] => name,
        [prefix, name] => {
            if prefix.is_empty() {
                return Some("the prefix before `/` must be non-empty");
            }
            if !is_k8s_dns_subdomain(prefix) {
                return Some(
                    "the prefix before `/` must be a DNS-1123 subdomain (lowercase, at most 253 characters)",
                );
            }
            name
        }
        _ => return Some("a key has at most one `/`"),
    };
    if name.is_empty() {
        Some("the name part must be non-empty")
    } else if name.len() > 63 {
        Some("the name part must be at most 63 characters")
    } else if !is_label_value(name) {
        Some("the name part must be A-Z a-z 0-9 - _ ., starting and ending with a letter or digit")
    } else {
        None
    }
}

/// An annotation key: Kubernetes lowercases it before `IsQualifiedName`, so an upper-case prefix
/// passes.
pub fn is_annotation_key(key: &str) -> bool {
    is_qualified_key(&key.to_ascii_lowercase())
}

/// Kubernetes' `TotalAnnotationSizeLimitB`: the keys and values of one object's annotations.
pub const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// The size Kubernetes counts for annotations: the bytes of every key and value.
pub fn annotations_size<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> usize {
    entries.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// A label value: empty, or at most 63 of `A-Za-z0-9-_.`, starting and ending alphanumeric.
pub fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && value.as_bytes()[0].is_ascii_alphanumeric()
            && value.as_bytes()[value.len() - 1].is_ascii_alphanumeric())
}

/// Checks a 5-field cron expression; the error names the bad field.
pub fn check_cron(expression: &str) -> Result<(), String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "a cron schedule has 5 fields (minute hour day month weekday), this has {}",
            fields.len()
        ));
    }
    let specs = [
        ("minute", 0, 59, &[][..]),
        ("hour", 0, 23, &[][..]),
        ("day of month", 1, 31, &[][..]),
        (
            "month",
            1,
            12,
            &[
                "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
            ][..],
        ),
        (
            "day of week",
            0,
            7,
            &["sun", "mon", "tue", "wed", "thu", "fri", "sat"][..],
        ),
    ];
    for (field, (name, min, max, names)) in fields.iter().zip(specs) {
        if !field
            .split(',')
            .all(|part| cron_part_ok(part, min, max, names))
        {
            return Err(format!(
                "the {name} field `{field}` is not valid (allowed: {min}-{max}, *, ranges, lists, steps)"
            ));
        }
    }
    Ok(())
}

fn cron_part_ok(part: &str, min: u32, max: u32, names: &[&str]) -> bool {
    let (range, step) = match part.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (part, None),
    };
    if step.is_some_and(|s| s.parse::<u32>().map_or(true, |n| n == 0 || n > max)) {
        return false;
    }
    let value = |text: &str| -> Option<u32> {
        text.parse::<u32>().ok().or_else(|| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(text))
                .map(|i| i as u32 + min)
        })
    };
    if range == "*" {
        return true;
    }
    match range.split_once('-') {
        Some((a, b)) => {
            matches!((value(a), value(b)), (Some(a), Some(b)) if min <= a && a <= b && b <= max)
        }
        None => value(range).is_some_and(|v| min <= v && v <= max),
    }
}

/// An RFC 3339 date-time such as `2026-11-23T10:00:00Z` or with an offset and fraction.
pub fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let number = |range: std::ops::Range<usize>| {
        text.get(range)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(99)
    };
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    if !(1..=12).contains(&number(5..7)) || !(1..=31).contains(&number(8..10)) {
        return false;
    }
    if number(11..13) > 23 || number(14..16) > 59 || number(17..19) > 60 {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

/// A plain e-mail address: `local@domain` with a fully qualified domain.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && is_fqdn(&domain.to_ascii_lowercase())
}

/// Whether a URL carries a password (`scheme://user:password@host`).
pub fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_dns_label("customer-shop-1") && !is_dns_label("Shop") && !is_dns_label("-a"));
        assert!(is_fqdn("shop.customer.com") && !is_fqdn("localhost") && !is_fqdn("*.x.com"));
        assert_eq!(
            fqdn_problem("shop.customer.com:443"),
            Some("give the host name only, without a port")
        );
        assert!(
            is_qualified_key("shop.pilab.hu/tier")
                && is_qualified_key("team")
                && !is_qualified_key("/x")
                && !is_qualified_key("-team")
                && !is_qualified_key("owner team")
                && !is_qualified_key("a/b/c")
                && is_qualified_key(&format!("{}.example.com/x", "a".repeat(70)))
                && !is_qualified_key(&"a".repeat(64))
        );
        assert!(is_annotation_key("Shop.PiLab.hu/Note") && !is_qualified_key("Shop.PiLab.hu/Note"));
        assert!(!is_label_value("Platform Team") && !is_label_value(&"a".repeat(64)));
        assert!(!is_label_value("a b") && is_label_value("") && is_label_value("Premium_1"));
        assert!(
            check_cron("0 2 * * *").is_ok() && check_cron("*/15 0-6 1,15 jan-jun mon-fri").is_ok()
        );
        assert!(check_cron("0 25 * * *").unwrap_err().contains("hour"));
        assert!(check_cron("0 2 * *").is_err() && check_cron("0 2 * * * *").is_err());
        assert!(is_rfc3339("2026-11-23T10:00:00Z") && is_rfc3339("2026-11-23T10:00:00.123+01:00"));
        assert!(!is_rfc3339("2026-11-23 10:00") && !is_rfc3339("2026-13-01T00:00:00Z"));
        assert!(
            is_email("admin@customer.com") && !is_email("admin@localhost") && !is_email("nope")
        );
        assert!(
            url_has_password("mongodb://u:p@db:27017") && !url_has_password("mongodb://db:27017")
        );
    }
}
