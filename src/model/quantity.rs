//! Kubernetes resource quantities (`100m`, `1.5`, `128Mi`, `1e3`), parsed for comparison.
//!
//! The grammar is the one in k8s.io/apimachinery `resource.Quantity`: a signed decimal number and
//! an optional binary (`Ki`..`Ei`), decimal (`n`, `u`, `m`, `k`, `M`..`E`) or exponent suffix.

/// A parsed quantity, as a floating-point number of base units (cores or bytes).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Quantity(pub f64);

impl Quantity {
    /// Parses a quantity; `None` when the text is not one.
    pub fn parse(text: &str) -> Option<Quantity> {
        let (sign, rest) = match text.as_bytes().first()? {
            b'+' => (1.0, &text[1..]),
            b'-' => (-1.0, &text[1..]),
            _ => (1.0, text),
        };
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_len);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let multiplier = multiplier(suffix)?;
        Some(Quantity(sign * value * multiplier))
    }
}

fn multiplier(suffix: &str) -> Option<f64> {
    let binary = |power: i32| Some(1024f64.powi(power));
    let decimal = |power: i32| Some(10f64.powi(power));
    match suffix {
        "" => decimal(0),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        exponent if exponent.starts_with(['e', 'E']) => {
            let digits = &exponent[1..];
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            decimal(digits.parse().ok()?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Quantity;

    #[test]
    fn accepts_the_kubernetes_grammar() {
        assert_eq!(Quantity::parse("100m"), Some(Quantity(0.1)));
        assert_eq!(
            Quantity::parse("128Mi"),
            Some(Quantity(128.0 * 1024.0 * 1024.0))
        );
        assert_eq!(Quantity::parse("1.5"), Some(Quantity(1.5)));
        assert_eq!(Quantity::parse("1e3"), Some(Quantity(1000.0)));
        assert_eq!(
            Quantity::parse(".5Gi"),
            Some(Quantity(0.5 * 1024f64.powi(3)))
        );
        assert!(Quantity::parse("1Gi") > Quantity::parse("1000Mi"));
        assert!(Quantity::parse("1G") < Quantity::parse("1Gi"));
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for bad in [
            "", "Mi", "1MB", "1 Mi", "1.2.3", "abc", "1e", "0x10", "1mi", "1e+",
        ] {
            assert_eq!(Quantity::parse(bad), None, "{bad:?} should be rejected");
        }
    }
}
