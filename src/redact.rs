//! Secret redaction: everything written to an event log (command output, notes, retro text)
//! passes through [`redact`] first, so a pasted token never reaches git history.

use std::sync::LazyLock;

use regex::Regex;

pub const MASK: &str = "[REDACTED]";

/// Each pattern's first capture group (when it has one) is kept: it is the label, not the secret.
static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // PEM private keys, whole block.
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        // Credentials in URLs: scheme://user:password@host.
        r"([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@",
        // Authorization headers.
        r"(?i)(authorization:\s*(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]+",
        r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}",
        // key=value and key: value for secret-looking keys.
        r#"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|client[_-]?secret|private[_-]?key|auth[_-]?token)[A-Za-z0-9_-]*["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
        // Cloud and SaaS key formats.
        r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
        r"\bgh[pousr]_[A-Za-z0-9]{36,}\b",
        r"\bgithub_pat_[A-Za-z0-9_]{40,}\b",
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b",
        r"\bsk_(?:live|test)_[A-Za-z0-9]{16,}\b",
        r"\bAIza[0-9A-Za-z_-]{35}\b",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b",
    ]
    .iter()
    .map(|p| Regex::new(p).unwrap_or_else(|e| panic!("built-in redaction pattern {p:?}: {e}")))
    .collect()
});

pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for re in PATTERNS.iter() {
        if !re.is_match(&out) {
            continue;
        }
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let label = c.get(1).map_or("", |m| m.as_str());
                let tail = if c[0].ends_with('@') && !label.is_empty() { "@" } else { "" };
                format!("{label}{MASK}{tail}")
            })
            .into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_common_secrets() {
        let cases = [
            ("key AKIAIOSFODNN7EXAMPLE ok", "key [REDACTED] ok"),
            ("postgres://app:hunter2@db:5432/shop", "postgres://app:[REDACTED]@db:5432/shop"),
            ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer [REDACTED]"),
            ("PASSWORD=s3cr3t rest", "PASSWORD=[REDACTED] rest"),
            ("\"api_key\": \"zzz\"", "\"api_key\": \"[REDACTED]\""),
            ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB", "token [REDACTED]"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
        assert_eq!(redact("checkout 500 rate 12%"), "checkout 500 rate 12%");
    }
}
