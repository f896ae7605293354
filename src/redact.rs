//! Secret redaction: everything written to an event log (command output, notes, retro text)
//! passes through [`redact`] first, so a pasted token never reaches git history.

use std::sync::OnceLock;

use regex::Regex;

pub const MASK: &str = "[REDACTED]";

/// A secret pattern, and the lowercase literals one of which any match must contain. The
/// regex is compiled only when the text holds one of them: most notes hold none, and
/// compiling every pattern would cost more than the rest of `incident log` together.
struct Pattern {
    needles: &'static [&'static str],
    source: &'static str,
    regex: OnceLock<Regex>,
}

const fn p(needles: &'static [&'static str], source: &'static str) -> Pattern {
    Pattern { needles, source, regex: OnceLock::new() }
}

/// Each pattern's first capture group (when it has one) is kept: it is the label, not the secret.
static PATTERNS: [Pattern; 12] = [
    // PEM private keys, whole block.
    p(&["private key"], r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    // Credentials in URLs: scheme://user:password@host.
    p(&["://"], r"([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"),
    // Authorization headers.
    p(&["authorization"], r"(?i)(authorization:\s*(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]+"),
    p(&["bearer"], r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    // key=value and key: value for secret-looking keys.
    p(
        &["pass", "pwd", "secret", "token", "key"],
        r#"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|client[_-]?secret|private[_-]?key|auth[_-]?token)[A-Za-z0-9_-]*["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
    ),
    // Cloud and SaaS key formats.
    p(&["akia", "asia"], r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    p(&["gh"], r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    p(&["github_pat_"], r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
    p(&["xox"], r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    p(&["sk_"], r"\bsk_(?:live|test)_[A-Za-z0-9]{16,}\b"),
    p(&["aiza"], r"\bAIza[0-9A-Za-z_-]{35}\b"),
    p(&["eyj"], r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),
];

impl Pattern {
    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(self.source)
                .unwrap_or_else(|e| panic!("built-in redaction pattern {:?}: {e}", self.source))
        })
    }
}

pub fn redact(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = text.to_string();
    for pat in &PATTERNS {
        if !pat.needles.iter().any(|n| lower.contains(n)) {
            continue;
        }
        let re = pat.regex();
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

/// Every built-in pattern compiles (a test calls this; a typo must not wait for a secret).
pub fn compile_all() {
    for pat in &PATTERNS {
        pat.regex();
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn every_pattern_compiles() {
        super::compile_all();
    }

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
