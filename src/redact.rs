//! Secret redaction: every text an event carries (command output, notes, titles,
//! names, owners, reasons, `by`) passes through [`redact`] before it is written, so a pasted
//! token never reaches the log, the postmortem or git history.
//!
//! Two kinds of patterns: the built-in ones below, and the repository's own from
//! `incident.yaml` (`redact:`), installed with [`configure`] when the repository is loaded.
//! The extra patterns live in one process-wide slot rather than in every caller's arguments:
//! `redact` is called from layers that never see the repository (the runner's output capture,
//! a delivery's error, `Body::redacted`), a process acts on one repository, and threading the
//! set through each of them would make one forgotten caller a leak. [`redact_with`] takes
//! them explicitly, for tests and the fuzz target.
//!
//! Matches of every pattern are found on the same text, merged, and each merged span is
//! replaced by [`MASK`]; a pattern's named capture groups (when it has any) are the secret
//! and the rest of its match (`password=`, `Bearer `, `user:`) is kept, so the text still
//! says what was there. Redaction is repeated until nothing changes (a bounded number of
//! passes), so it is idempotent: a mask that completes a new match is masked too.
//!
//! Cost stays linear in the text: a pattern's regex runs only when the text contains one of
//! its lowercase needles (a substring search), and the `regex` crate matches in linear time.

use std::sync::{OnceLock, RwLock};

use regex::{Regex, RegexBuilder};

pub const MASK: &str = "[REDACTED]";

/// How many passes [`redact_with`] makes at most. Built-in patterns settle in two (the second
/// finds nothing new); the bound keeps a hostile repository pattern from looping.
const MAX_PASSES: usize = 4;

/// A secret pattern, and the lowercase literals one of which any match must contain. The
/// regex is compiled only when the text holds one of them: most notes hold none, and
/// compiling every pattern would cost more than the rest of `incident log` together.
struct Pattern {
    needles: &'static [&'static str],
    source: &'static str,
    /// A check on the secret the regex cannot express (e.g. "has a digit"), else any match.
    keep: Option<fn(&str) -> bool>,
    regex: OnceLock<Regex>,
}

const fn p(needles: &'static [&'static str], source: &'static str) -> Pattern {
    Pattern { needles, source, keep: None, regex: OnceLock::new() }
}

const fn pf(needles: &'static [&'static str], source: &'static str, keep: fn(&str) -> bool) -> Pattern {
    Pattern { needles, source, keep: Some(keep), regex: OnceLock::new() }
}

/// A value after a key or a flag: a double-quoted string (backslash escapes, to the closing
/// quote or the end of the line: an unclosed quote, a trailing backslash or a CRLF line end
/// still masks the rest of the line), a single-quoted one (`''` escapes), or a bare word.
/// Each alternative is a named group: the secret. Used inside `(?m)` patterns.
macro_rules! value {
    ($bare:literal) => {
        concat!(
            r#"(?:"(?P<dq>(?:[^"\\\r\n]|\\[^\r\n])*\\?)(?:"|\r?$)|'(?P<sq>(?:[^'\r\n]|'')*)(?:'|\r?$)|(?P<bare>"#,
            $bare,
            "))"
        )
    };
}

/// The secret-looking key names of `key=value` and `key: value` (a prefix and a suffix of
/// word characters are allowed: `db_password`, `PGPASSWORD`, `aws_secret_access_key`).
macro_rules! keys {
    () => {
        r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|_pass(?:wd)?(?-u:\b))"
    };
}

/// Each pattern's named groups (when it has any) are the secret; else the whole match is.
/// Separators are blanks, never line ends: a match that ran on into the next line would hide
/// a secret there from the same pattern (matches do not overlap; found by fuzzing). A bare
/// value ends at blanks, quotes and `;` in every pattern: when two patterns disagreed on where
/// a value ends, each pass's mask moved the other's end, and redaction never settled (found
/// by fuzzing).
/// A private key block's first line (PEM, OpenSSH, PGP's `… PRIVATE KEY BLOCK-----`), and its
/// last: one definition for redaction and for the runner's mask at the output's cut.
macro_rules! key_begin {
    () => {
        r"-{3,}\s*BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-*"
    };
}
macro_rules! key_end {
    () => {
        r"-{3,}\s*END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-*"
    };
}

/// `key_begin!` as a pattern of its own.
pub const KEY_BEGIN: &str = key_begin!();
/// `key_end!` as a pattern of its own.
pub const KEY_END: &str = key_end!();

static PATTERNS: [Pattern; 22] = [
    // PEM / OpenSSH / PGP private keys: the whole block, and to the end of the text when its
    // end line is missing (a key cut short is still a key).
    p(&["private key"], concat!(key_begin!(), r"(?s:.*?)(?:", key_end!(), r"|\z)")),
    // ... and the key lines before an end line whose start was cut off (the tail of output).
    p(&["private key"], concat!(r"(?m)(?:^[A-Za-z0-9+/=]{16,}\r?\n)+", key_end!())),
    // Credentials in URLs, any scheme: scheme://user:password@host. The password runs to the
    // last `@` of the word, so one holding `/`, `:` or `@` is masked whole.
    p(&["://"], r#"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@"'<>]*:(?P<s>[^\s"'<>]+)@"#),
    // A token as a URL's user, with no password (`https://TOKEN@github.com/…`): a long user
    // part with a digit; `git@…`, `deploy@…` and names are left alone.
    pf(&["://"], r#"[A-Za-z][A-Za-z0-9+.-]*://(?P<s>[A-Za-z0-9_~.-]{20,})@"#, has_digit),
    // A secret-looking XML element, its name ending in the key: `<password>…</password>`,
    // `<db:apiKey>…</db:apiKey>` (not `<tokenizer>`).
    p(
        &["pass", "pwd", "secret", "token", "key"],
        r#"(?i)<[A-Za-z0-9_:.-]*(?:password|passwd|pwd|secret|token|api[_-]?key)>(?P<s>[^<\r\n]+)</"#,
    ),
    // ADO / ODBC connection strings: `;Password=two words;`.
    p(
        &["password", "pwd"],
        r#"(?i);[ \t]*(?:password|pwd)[ \t]*=[ \t]*(?P<s>[^;\r\n"']+)|(?-u:\b)(?:password|pwd)[ \t]*=[ \t]*(?P<t>[^;\r\n"']+);"#,
    ),
    // Authorization headers, whatever the scheme (Basic, Bearer, Digest, token, …).
    p(
        &["authorization"],
        r#"(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|digest|negotiate|ntlm|apikey)[ \t]+(?P<s>[^\r\n"']+)|(?P<t>[A-Za-z0-9._~+/=-]{8,}))"#,
    ),
    p(&["bearer"], r"(?i)(?-u:\b)bearer[ \t]+(?P<s>[A-Za-z0-9._~+/=-]{8,})"),
    // key=value and key: value for secret-looking keys; a quoted value is masked whole.
    p(
        &["pass", "pwd", "secret", "token", "key", "credential"],
        concat!(
            "(?im)",
            keys!(),
            r#"[A-Za-z0-9_.-]*["']?[ \t]*(?::=|=>|[:=])[ \t]*"#,
            value!(r#"[^\s"',;&]+"#)
        ),
    ),
    // A secret-looking key and a long token separated by blanks only (`aws configure list`,
    // `~/.aws/credentials` pasted loosely, tables). A digit is required, so prose ("the token
    // authentication-middleware") is left alone.
    pf(
        &["pass", "secret", "token", "key"],
        concat!("(?i)", keys!(), r#"[A-Za-z0-9_-]*["']?[ \t]+(?P<s>[A-Za-z0-9/+=_.~-]{16,})"#),
        has_digit,
    ),
    // Command-line flags: --password hunter2, --db-password=x, --token 'x y'.
    p(
        &["--"],
        concat!(
            "(?im)--(?:[a-z0-9]+-)*(?:password|passwd|pass|pwd|passphrase|token|secret|api-?key|access-?key|secret-?key|client-secret|private-key)(?:=|[ \t]+)",
            value!(r#"[^\s"';-][^\s"';]*"#)
        ),
    ),
    // mysql -phunter2 (the password glued to -p).
    p(
        &["mysql", "mariadb"],
        concat!(
            "(?m)(?-u:\\b)(?:mysql[a-z]*|mariadb[a-z-]*)(?-u:\\b)[^\\r\\n]*?[ \\t]-p",
            value!(r#"[^\s"';]+"#)
        ),
    ),
    // curl -u user:password.
    p(
        &["curl"],
        r#"(?-u:\b)curl(?-u:\b)[^\r\n]*?[ \t](?:-u|--user)(?:[ \t]+|=)?["']?[^\s:"']*:(?P<s>[^\s"';]+)"#,
    ),
    // Cloud and SaaS key formats.
    p(&["akia", "asia", "abia", "acca"], r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?-u:\b)"),
    p(&["gh"], r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{36,}(?-u:\b)"),
    p(&["github_pat_"], r"(?-u:\b)github_pat_[A-Za-z0-9_]{40,}"),
    p(&["gl"], r"(?-u:\b)gl(?:pat|dt|rt|ptt|oas|cbt|imt|soat|ffct|agent|ft|wt)-[A-Za-z0-9_.-]{20,}"),
    p(&["xox", "xapp"], r"(?-u:\b)(?:xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{10,}"),
    p(&["hooks.slack.com"], r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9/_-]+)"),
    p(
        &["sk_", "rk_", "whsec_", "sk-"],
        r"(?-u:\b)(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}|sk-(?:ant|proj)-[A-Za-z0-9_-]{20,})",
    ),
    p(
        &["aiza", "npm_", "pypi-"],
        r"(?-u:\b)(?:AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_-]{50,})",
    ),
    // JSON Web Tokens: header.payload.signature, the header being base64url JSON (`eyJ`).
    p(&["eyj"], r"(?-u:\b)eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
];

fn has_digit(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
}

impl Pattern {
    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(self.source)
                .unwrap_or_else(|e| panic!("built-in redaction pattern {:?}: {e}", self.source))
        })
    }
}

/// The repository's extra patterns (`incident.yaml`'s `redact:`), see the module's doc.
static EXTRA: RwLock<Vec<Regex>> = RwLock::new(Vec::new());

/// Installs the repository's extra patterns for every later [`redact`] in this process.
pub fn configure(extra: Vec<Regex>) {
    *EXTRA.write().unwrap_or_else(std::sync::PoisonError::into_inner) = extra;
}

/// Compiles one repository pattern, or says in one line why it cannot be used: not a valid
/// regex (or too large), matching the empty string (it would mask between every letter), or
/// matching the mask itself (redaction would never settle).
pub fn compile(source: &str) -> Result<Regex, String> {
    let re = RegexBuilder::new(source).size_limit(1 << 20).build().map_err(|e| one_line(&e))?;
    if re.find("").is_some() {
        return Err("it matches the empty string, so it would mask everywhere".into());
    }
    if re.is_match(MASK) {
        return Err(format!("it matches the mask `{MASK}` itself"));
    }
    Ok(re)
}

/// The regex crate's error in one line: its `error: …` line (the rest is the pattern again
/// with a caret under the place).
fn one_line(e: &regex::Error) -> String {
    let text = e.to_string();
    let reason = text.lines().rev().find_map(|l| l.trim().strip_prefix("error: ")).map(str::to_string);
    reason.unwrap_or_else(|| {
        text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
    })
}

/// `text` with every secret masked: the built-in patterns and the repository's own.
pub fn redact(text: &str) -> String {
    let extra = EXTRA.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    redact_with(text, &extra)
}

/// `text` with every secret of the built-in patterns and of `extra` masked.
pub fn redact_with(text: &str, extra: &[Regex]) -> String {
    let Some(mut out) = pass(text, extra) else {
        return text.to_string();
    };
    for _ in 1..MAX_PASSES {
        match pass(&out, extra) {
            Some(again) if again != out => out = again,
            _ => break,
        }
    }
    out
}

/// One pass: every pattern's secrets found in `text`, merged, masked. `None` when there are none.
fn pass(text: &str, extra: &[Regex]) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for pat in &PATTERNS {
        if !pat.needles.iter().any(|n| lower.contains(n)) {
            continue;
        }
        secrets(pat.regex(), text, pat.keep, &mut spans);
    }
    for re in extra {
        secrets(re, text, None, &mut spans);
    }
    spans.retain(|(a, b)| a < b);
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut i = 0;
    while i < spans.len() {
        let (start, mut end) = spans[i];
        i += 1;
        // Overlapping and touching spans become one mask.
        while i < spans.len() && spans[i].0 <= end {
            end = end.max(spans[i].1);
            i += 1;
        }
        let start = start.max(at);
        // Spans are regex matches in `text`, so on character boundaries.
        out.push_str(text.get(at..start).unwrap_or_default());
        out.push_str(MASK);
        at = end.max(start);
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Some(out)
}

/// The byte spans of the secrets `re` finds in `text`: its named groups that took part in a
/// match, or the whole match when it has none.
fn secrets(re: &Regex, text: &str, keep: Option<fn(&str) -> bool>, spans: &mut Vec<(usize, usize)>) {
    let keep = |s: &str| keep.is_none_or(|k| k(s));
    let named = re.capture_names().any(|n| n.is_some());
    if !named {
        spans.extend(re.find_iter(text).filter(|m| keep(m.as_str())).map(|m| (m.start(), m.end())));
        return;
    }
    for whole in re.find_iter(text) {
        // Finding a match is the fast engine's work; its groups need the slower one, so a
        // match too long for that (a megabyte-long "value") is masked whole, label included.
        if whole.len() > LONG_MATCH {
            spans.push((whole.start(), whole.end()));
            continue;
        }
        let Some(caps) = re.captures_at(text, whole.start()) else { continue };
        for m in caps.iter().skip(1).flatten() {
            if keep(m.as_str()) {
                spans.push((m.start(), m.end()));
            }
        }
    }
}

/// The longest match whose groups are looked for (see [`secrets`]).
const LONG_MATCH: usize = 64 * 1024;

/// Every built-in pattern compiles (a test calls this; a typo must not wait for a secret).
#[cfg(test)]
pub fn compile_all() {
    for pat in &PATTERNS {
        pat.regex();
    }
}

/// One planted secret of each family the built-in patterns cover, with the text that must not
/// survive redaction: for tests and the fuzz target, which put them into arbitrary text.
pub const SAMPLES: &[(&str, &str)] = &[
    ("AKIAQWERTYUIOPASDFGH", "AKIAQWERTYUIOPASDFGH"),
    ("postgres://app:pa/ss@db:5432/shop", "pa/ss"),
    ("https://deploy:s3cr@t!@git.example.com/x", "s3cr@t!"),
    ("Authorization: Bearer abcDEF123.456ghiJKL", "abcDEF123.456ghiJKL"),
    ("Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
    ("password: \"correct horse battery\"", "correct horse battery"),
    ("password='hunter two'", "hunter two"),
    ("PASSWORD=s3cr3tvalue", "s3cr3tvalue"),
    ("DB_PASS=qz8hunter", "qz8hunter"),
    ("<password>xml s3cret</password>", "xml s3cret"),
    ("https://ZQX3tokenonly0123456789ab@github.com/o/r.git", "ZQX3tokenonly0123456789ab"),
    ("mysql -u root --password hunter2xy shop", "hunter2xy"),
    ("mysql -uroot -phunter3zz shop", "hunter3zz"),
    ("--db-password=qq9wertz", "qq9wertz"),
    ("Server=db;User Id=sa;Password=two words here;", "two words here"),
    (
        "aws_secret_access_key    wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm", "glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm"),
    ("xapp-1-A0123456789-0123456789-abcdef", "xapp-1-A0123456789-0123456789-abcdef"),
    ("xoxb-0123456789-abcdefghijkl", "xoxb-0123456789-abcdefghijkl"),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    ),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDqRAv1b7bhkDFl",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    ),
];

#[cfg(test)]
mod tests {
    use super::{MASK, SAMPLES, redact, redact_with};

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

    /// Regression (issue 13): the patterns the audit found missing.
    #[test]
    fn redacts_what_the_audit_found_missing() {
        let cases = [
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\nmore\n\nafter a blank line",
                "[REDACTED]",
            ),
            ("run: mysql --password hunter2 shop", "run: mysql --password [REDACTED] shop"),
            ("mysql --password=hunter2 shop", "mysql --password=[REDACTED] shop"),
            ("mysql -u root -p'hunter 2' shop", "mysql -u root -p'[REDACTED]' shop"),
            ("password: \"correct horse battery\"", "password: \"[REDACTED]\""),
            ("password: 'it''s a secret' ok", "password: '[REDACTED]' ok"),
            ("postgres://app:pa/ss@db/shop", "postgres://app:[REDACTED]@db/shop"),
            ("redis://:pw0rd@cache:6379", "redis://:[REDACTED]@cache:6379"),
            ("token glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm here", "token [REDACTED] here"),
            ("xapp-1-A0123456789-0123456789-abcdef", "[REDACTED]"),
            (
                "aws_secret_access_key    wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "aws_secret_access_key    [REDACTED]",
            ),
            (
                "Server=db;User Id=sa;Password=two words;Encrypt=yes",
                "Server=db;User Id=sa;Password=[REDACTED];Encrypt=yes",
            ),
            ("-H 'Authorization: Basic dXNlcjpwYXNz'", "-H 'Authorization: Basic [REDACTED]'"),
            ("curl -u admin:hunter2 https://x", "curl -u admin:[REDACTED] https://x"),
            (
                "https://hooks.slack.com/services/T00/B00/XXXXYYYY",
                "https://hooks.slack.com/services/[REDACTED]",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    /// An unclosed quote masks the rest of its line, whatever ends it (LF, CRLF, the end of
    /// the text, a trailing backslash).
    #[test]
    fn unclosed_quoted_values_mask_the_rest_of_the_line() {
        for (input, want) in [
            ("password: \"open quote\nnext", "password: \"[REDACTED]\nnext"),
            ("password: \"open quote\r\nnext", "password: \"[REDACTED]\r\nnext"),
            ("password: \"open quote", "password: \"[REDACTED]"),
            ("password: \"ends in \\\nnext", "password: \"[REDACTED]\nnext"),
            ("password: 'single\r\nnext", "password: '[REDACTED]\r\nnext"),
        ] {
            assert_eq!(redact(input), want, "{input:?}");
        }
    }

    /// Regression, found by fuzzing (fuzz/fuzz_targets/redact.rs): an empty header value ran on
    /// into the next line, masked its first word, and so hid the header there.
    #[test]
    fn a_match_never_runs_into_the_next_line() {
        let text = "Authorization: \nAuthorization: Basic dXNlcjpodW50ZXIy\n";
        assert_eq!(redact(text), "Authorization: \nAuthorization: Basic [REDACTED]\n");
        let text = "Bearer\nBearer abcdefgh12345678";
        assert_eq!(redact(text), "Bearer\nBearer [REDACTED]");
        let text = ";password=\npassword=x;";
        assert_eq!(redact(text), ";password=\npassword=[REDACTED];");
    }

    /// Regression, found by fuzzing: `--password=` (value to a blank) and `password=…;` (value
    /// to a `;`) took turns extending each other's mask, one segment per pass, so redacting
    /// twice differed from redacting once.
    #[test]
    fn patterns_agree_where_a_value_ends() {
        let text = "--password=ab;x y=1;x y=2;x y=3;x y=4;x y=5;x y=6;x y=7;";
        let once = redact(text);
        assert_eq!(once, "--password=[REDACTED];x y=1;x y=2;x y=3;x y=4;x y=5;x y=6;x y=7;");
        assert_eq!(redact(&once), once);
    }

    /// Prose that merely mentions secrets is left alone.
    #[test]
    fn prose_is_left_alone() {
        for text in [
            "the password reset page returns 500",
            "token expired for user bob",
            "rotated the token authentication-middleware",
            "Basic authentication is disabled",
            "begin private key rotation tomorrow",
            "https://status.example.com:443/checkout",
            "mysql -p shop",
            "docker run -u 1000:1000 app",
            "ssh://git@github.com/org/repo.git and https://deploy-bot@example.com/x",
            "https://release-automation-bot@example.com/x",
            "passenger_count=5 bypass=on compass: north",
            "<tokenizer>bert</tokenizer-x> <p>the password field</p>",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn every_sample_is_masked_and_redaction_settles() {
        for (planted, secret) in SAMPLES {
            let text = format!("before {planted} after");
            let once = redact(&text);
            assert!(!once.contains(secret), "{planted:?} → {once:?}");
            assert_eq!(redact(&once), once, "{planted:?}");
        }
    }

    #[test]
    fn repository_patterns_apply() {
        let extra = [super::compile("itk_[A-Za-z0-9]{20}").expect("valid")];
        let text = "token itk_ABCDEFGHIJKLMNOPQRST leaked";
        assert_eq!(redact_with(text, &extra), format!("token {MASK} leaked"));
        assert!(super::compile("(").is_err());
        assert!(super::compile("a*").is_err());
        assert!(super::compile("RED").is_err());
        assert!(super::compile("a{1000}{1000}").is_err());
    }

    /// Long hostile inputs take linear time: 300 KB of half-patterns (a debug build; quadratic
    /// work would take minutes here). The 3 MB figure is in the README.
    #[test]
    fn long_hostile_text_is_linear() {
        for unit in [
            "password=",
            "://a:",
            "-----BEGIN RSA PRIVATE KEY-----",
            "eyJabcdef.",
            "mysql -p",
            "--password ",
            "authorization: ",
            "x@",
            "password: \"",
        ] {
            let text = unit.repeat(300_000 / unit.len());
            let started = std::time::Instant::now();
            let out = redact(&text);
            assert!(started.elapsed().as_secs() < 10, "{unit:?}: {:?}", started.elapsed());
            assert!(out.len() <= text.len() + MASK.len() * 2 || !out.is_empty());
        }
    }
}
