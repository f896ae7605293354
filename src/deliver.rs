//! Delivering a logged update to its channel's target: a webhook (Slack's incoming
//! webhook JSON, or a JSON envelope signed with HMAC-SHA256) or a command (`sh -c`, the
//! message on stdin, the rest in the environment). One attempt at a time; [`Retry`] decides
//! whether and when to try again, and the caller sleeps (deciding is kept apart from
//! sleeping), so the decisions are tested without sleeping.
//!
//! The caller logs each attempt as it happens, so the log says what was tried even when the
//! process dies mid-way; nothing here writes to the log.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::backoff;
use crate::config::Deliver;
use crate::events::PublicStatus;
use crate::redact::redact;
use crate::runner;
use crate::timefmt::{parse_duration, stored};

/// How long one attempt may take when the target does not say (`timeout:`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per delivery, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// The longest `Retry-After` honoured; a longer one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// The first backoff; each later one doubles, up to [`MAX_BACKOFF`], plus up to half again
/// of jitter.
pub const BASE_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The header a receiver drops duplicates by: the same on every attempt of one update.
pub const ID_HEADER: &str = "X-Incident-Update-Id";
/// `sha256=<hex>` of the body, keyed with the `secret_env` variable's value.
pub const SIGNATURE_HEADER: &str = "X-Incident-Signature-256";
/// Multiplies every delay the caller sleeps: `0` makes retries immediate (the integration
/// tests set it), `1` (the default) is the real schedule. Not meant for production use.
pub const SCALE_ENV: &str = "INCIDENT_RETRY_SCALE";

/// The incident an update is about, as a target sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub services: Vec<String>,
}

/// The update as delivered: the `format: json` envelope, and the command's environment.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope {
    /// The update event's id.
    pub id: String,
    pub incident: Subject,
    pub channel: String,
    pub status: Option<PublicStatus>,
    /// RFC 3339, as the log stores times.
    pub eta: Option<String>,
    pub message: String,
    pub at: String,
}

impl Envelope {
    pub fn new(
        id: &str,
        incident: Subject,
        channel: &str,
        status: Option<PublicStatus>,
        eta: Option<DateTime<Utc>>,
        message: &str,
        at: DateTime<Utc>,
    ) -> Envelope {
        Envelope {
            id: id.to_string(),
            incident,
            channel: channel.to_string(),
            status,
            eta: eta.map(stored),
            message: message.to_string(),
            at: stored(at),
        }
    }
}

/// A channel's target, checked: what `deliver:` in `incident.yaml` says, made usable.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Webhook { url: String, format: Format, secret_env: Option<String>, timeout: Duration },
    Command { command: String, timeout: Duration },
}

/// What a webhook is sent, as `format:` says (Slack's unless `json`).
pub use crate::config::WebhookFormat as Format;

/// Why a target cannot be tried at all (no attempt is made, none is logged).
#[derive(Debug, Clone, PartialEq)]
pub enum Unusable {
    /// `${VAR}` in the URL names a variable that is not set.
    MissingVar(String),
    /// Neither `webhook` nor `command`, or both.
    NoTarget,
}

impl Target {
    /// The target of a channel's `deliver:`, with `${VAR}` in the URL taken from `env`.
    pub fn of(d: &Deliver, env: impl Fn(&str) -> Option<String>) -> Result<Target, Unusable> {
        let timeout = d
            .timeout
            .as_deref()
            .and_then(parse_duration)
            .map_or(DEFAULT_TIMEOUT, |s| Duration::from_secs(u64::try_from(s).unwrap_or(0).max(1)));
        match (&d.webhook, &d.command) {
            (Some(url), None) => Ok(Target::Webhook {
                url: expand(url, &env)?,
                format: d.format.unwrap_or_default(),
                secret_env: d.secret_env.clone(),
                timeout,
            }),
            (None, Some(command)) => Ok(Target::Command { command: command.clone(), timeout }),
            _ => Err(Unusable::NoTarget),
        }
    }
}

/// `${VAR}` → the variable's value; a missing one is [`Unusable::MissingVar`]. Anything else,
/// `$` included, is left as it is.
pub fn expand(text: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, Unusable> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("${") {
        let Some((name, after)) = after.split_once('}') else {
            break;
        };
        out.push_str(before);
        out.push_str(&env(name).ok_or_else(|| Unusable::MissingVar(name.to_string()))?);
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether an attempt worked, and if not, whether another one may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Delivered,
    /// Connection refused or reset, a timeout, a 5xx, a 429: worth trying again.
    Spurious,
    /// Any other 4xx, a command's non-zero exit: trying again will not help.
    Final,
}

/// One attempt, as it is logged (`Body::Delivery`).
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub class: Class,
    pub http_status: Option<u16>,
    pub exit_code: Option<i32>,
    pub latency_ms: u64,
    /// What went wrong, redacted.
    pub error: Option<String>,
    /// The receiver's `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.class == Class::Delivered
    }
}

/// HTTP status → class: 2xx delivered, 429 and 5xx spurious, the rest final.
pub fn classify_status(status: u16) -> Class {
    match status {
        200..=299 => Class::Delivered,
        429 | 500..=599 => Class::Spurious,
        _ => Class::Final,
    }
}

/// The retry state machine: after each attempt, [`Retry::next`] says how long to wait before
/// the next one, or `None` to stop. It never sleeps.
#[derive(Debug, Clone)]
pub struct Retry {
    /// Attempts made so far.
    made: u32,
    max: u32,
}

impl Retry {
    pub fn new(max: u32) -> Retry {
        Retry { made: 0, max: max.max(1) }
    }

    /// Attempts made so far: the number of the one just made.
    pub fn made(&self) -> u32 {
        self.made
    }

    /// Records an attempt and decides: `None` when it was delivered, final, or the last one
    /// allowed; else the delay before the next one: the receiver's `Retry-After` (capped at
    /// [`MAX_RETRY_AFTER`]) when it gave one, otherwise exponential backoff from
    /// [`BASE_BACKOFF`] (capped at [`MAX_BACKOFF`]) plus `jitter` (0 to 1) times half of it.
    pub fn next(&mut self, attempt: &Attempt, jitter: f64) -> Option<Duration> {
        self.made += 1;
        if attempt.class != Class::Spurious || self.made >= self.max {
            return None;
        }
        if let Some(s) = attempt.retry_after {
            return Some(Duration::from_secs(s).min(MAX_RETRY_AFTER));
        }
        Some(backoff::delay(BASE_BACKOFF, self.made, MAX_BACKOFF, jitter))
    }
}

/// [`SCALE_ENV`] as read from `value`: a factor of zero or more; anything else is 1.
pub fn scale(value: Option<&str>) -> f64 {
    value.and_then(|v| v.trim().parse::<f64>().ok()).filter(|f| f.is_finite() && *f >= 0.0).unwrap_or(1.0)
}

/// Tries `target` up to [`MAX_ATTEMPTS`] times, calling `logged` with each attempt's number
/// and outcome right after it (that is where the caller appends its event) and sleeping what
/// [`Retry`] decides, times `scale`. Returns whether one attempt delivered.
pub fn deliver<E>(
    target: &Target,
    envelope: &Envelope,
    root: &Path,
    scale: f64,
    mut logged: impl FnMut(u32, &Attempt) -> Result<(), E>,
) -> Result<bool, E> {
    let mut retry = Retry::new(MAX_ATTEMPTS);
    loop {
        let attempt = attempt(target, envelope, root);
        let delay = retry.next(&attempt, backoff::jitter());
        logged(retry.made(), &attempt)?;
        if attempt.delivered() {
            return Ok(true);
        }
        match delay {
            Some(d) => std::thread::sleep(d.mul_f64(scale)),
            None => return Ok(false),
        }
    }
}

/// One attempt, whatever the target.
pub fn attempt(target: &Target, envelope: &Envelope, root: &Path) -> Attempt {
    match target {
        Target::Webhook { url, format, secret_env, timeout } => {
            let secret = secret_env.as_deref().and_then(|v| std::env::var(v).ok()).filter(|s| !s.is_empty());
            let body = payload(*format, envelope);
            post(url, &body, &envelope.id, secret.as_deref(), *timeout)
        }
        Target::Command { command, timeout } => run(command, envelope, root, *timeout),
    }
}

/// The body a webhook receives: `{"text": …}` for Slack, the envelope for `json`.
pub fn payload(format: Format, e: &Envelope) -> String {
    let value = match format {
        Format::Slack => serde_json::json!({ "text": slack_text(e) }),
        Format::Json => serde_json::to_value(e).unwrap_or_default(),
    };
    value.to_string()
}

fn slack_text(e: &Envelope) -> String {
    let status = e.status.map(|s| format!(" ({})", s.name())).unwrap_or_default();
    format!("*[{}] {}*{status}\n{}", e.incident.severity, e.incident.title, e.message)
}

/// `sha256=<hex>`: HMAC-SHA256 of `body` keyed with `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    use hmac::{KeyInit, Mac};
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return String::new(); // HMAC takes a key of any length
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + bytes.len() * 2);
    hex.push_str("sha256=");
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

fn millis(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// How every webhook is reached: one deadline for the whole attempt, a status is an answer
/// (not an error), no redirects (a signed body is for the URL configured), and the server
/// checked against the system's trust store, so a receiver behind a company CA installed
/// there is trusted like a public one.
fn agent_config(timeout: Duration) -> ureq::config::Config {
    let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build();
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .tls_config(tls)
        .build()
}

fn post(url: &str, body: &str, id: &str, secret: Option<&str>, timeout: Duration) -> Attempt {
    let agent: ureq::Agent = agent_config(timeout).into();
    let mut req = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("User-Agent", concat!("incident/", env!("CARGO_PKG_VERSION")))
        .header(ID_HEADER, id);
    if let Some(key) = secret {
        req = req.header(SIGNATURE_HEADER, signature(key.as_bytes(), body.as_bytes()));
    }
    let start = Instant::now();
    match req.send(body) {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let class = classify_status(status);
            Attempt {
                class,
                http_status: Some(status),
                exit_code: None,
                latency_ms: millis(start),
                error: (class != Class::Delivered).then(|| format!("HTTP {status}")),
                retry_after,
            }
        }
        Err(e) => {
            let error = match &e {
                ureq::Error::Timeout(_) => format!("timed out after {}s", timeout.as_secs()),
                e => e.to_string(),
            };
            let class = match e {
                ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl | ureq::Error::TooManyRedirects => {
                    Class::Final
                }
                _ => Class::Spurious,
            };
            Attempt {
                class,
                http_status: None,
                exit_code: None,
                latency_ms: millis(start),
                error: Some(redact(&error)),
                retry_after: None,
            }
        }
    }
}

/// The variables a channel's delivery command is given besides the incident's
/// ([`runner::INCIDENT_VARS`]): what lint knows to be set in `deliver.command`.
pub const UPDATE_VARS: [&str; 4] = ["UPDATE_ID", "UPDATE_CHANNEL", "UPDATE_STATUS", "UPDATE_ETA"];

/// Runs `command` with `sh -c`: the message on stdin, the incident and the update in the
/// environment, never in the command text. Run as a step's command is ([`runner::bounded`]):
/// output bounded, its whole process group killed at `timeout` (a spurious failure, tried
/// again), Ctrl-C ends it (final: the responder chose to stop).
fn run(command: &str, e: &Envelope, root: &Path, timeout: Duration) -> Attempt {
    let start = Instant::now();
    let failed = |class, exit_code, error: String| Attempt {
        class,
        http_status: None,
        exit_code,
        latency_ms: millis(start),
        error: Some(redact(&error)),
        retry_after: None,
    };
    let mut cmd = runner::shell(command, root);
    let subject = &e.incident;
    runner::with_incident(
        &mut cmd,
        [&subject.id, &subject.title, &subject.severity],
        &subject.services,
        root,
    );
    let [id, channel, status, eta] = UPDATE_VARS;
    cmd.env(id, &e.id)
        .env(channel, &e.channel)
        .env(status, e.status.map_or("", PublicStatus::name))
        .env(eta, e.eta.as_deref().unwrap_or_default());
    let ran = match runner::bounded(cmd, Some(e.message.clone().into_bytes()), timeout) {
        Ok(ran) => ran,
        Err(err) => return failed(Class::Final, None, format!("cannot start sh: {err}")),
    };
    if ran.exit_code == Some(0) {
        return Attempt {
            class: Class::Delivered,
            http_status: None,
            exit_code: Some(0),
            latency_ms: millis(start),
            error: None,
            retry_after: None,
        };
    }
    let what = if ran.timed_out {
        format!("timed out after {}s", timeout.as_secs())
    } else {
        runner::ending(ran.exit_code, None, ran.interrupted, ran.signal)
    };
    let class = if ran.timed_out { Class::Spurious } else { Class::Final };
    let said = last_chars(ran.output.trim(), ERROR_TAIL);
    let error = if said.is_empty() { what } else { format!("{what}: {said}") };
    failed(class, ran.exit_code, error)
}

/// How much of what a failed command printed goes into the attempt's error: its end, where
/// the reason usually is.
const ERROR_TAIL: usize = 2048;

/// The last `n` characters of `text`.
fn last_chars(text: &str, n: usize) -> &str {
    let skip = text.chars().count().saturating_sub(n);
    text.char_indices().nth(skip).and_then(|(i, _)| text.split_at_checked(i)).map_or(text, |(_, end)| end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(class: Class, retry_after: Option<u64>) -> Attempt {
        Attempt { class, http_status: None, exit_code: None, latency_ms: 0, error: None, retry_after }
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify_status(200), Class::Delivered);
        assert_eq!(classify_status(204), Class::Delivered);
        assert_eq!(classify_status(429), Class::Spurious);
        assert_eq!(classify_status(500), Class::Spurious);
        assert_eq!(classify_status(503), Class::Spurious);
        assert_eq!(classify_status(400), Class::Final);
        assert_eq!(classify_status(404), Class::Final);
        assert_eq!(classify_status(301), Class::Final);
    }

    #[test]
    fn spurious_failures_back_off_exponentially_with_jitter_then_stop() {
        let mut r = Retry::new(4);
        let fail = outcome(Class::Spurious, None);
        assert_eq!(r.next(&fail, 0.0), Some(Duration::from_millis(500)));
        assert_eq!(r.next(&fail, 1.0), Some(Duration::from_millis(1000 + 500)));
        assert_eq!(r.next(&fail, 0.5), Some(Duration::from_millis(2000 + 500)));
        assert_eq!(r.next(&fail, 0.0), None, "the fourth attempt was the last");
        assert_eq!(r.made(), 4);
    }

    #[test]
    fn backoff_is_capped() {
        let mut r = Retry::new(20);
        let fail = outcome(Class::Spurious, None);
        let last = (0..10).filter_map(|_| r.next(&fail, 0.0)).last();
        assert_eq!(last, Some(MAX_BACKOFF));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let mut r = Retry::new(3);
        assert_eq!(r.next(&outcome(Class::Spurious, Some(2)), 0.9), Some(Duration::from_secs(2)));
        assert_eq!(r.next(&outcome(Class::Spurious, Some(3600)), 0.0), Some(MAX_RETRY_AFTER));
        assert_eq!(r.next(&outcome(Class::Spurious, Some(1)), 0.0), None, "attempts are bounded");
    }

    #[test]
    fn delivered_and_final_stop_at_once() {
        let mut r = Retry::new(3);
        assert_eq!(r.next(&outcome(Class::Delivered, None), 0.0), None);
        let mut r = Retry::new(3);
        assert_eq!(r.next(&outcome(Class::Final, Some(1)), 0.0), None);
        assert_eq!(r.made(), 1);
    }

    /// Regression: a webhook behind a company CA failed, the bundled roots being the only
    /// ones trusted.
    #[test]
    fn webhooks_trust_the_systems_roots() {
        let config = agent_config(DEFAULT_TIMEOUT);
        assert!(matches!(config.tls_config().root_certs(), ureq::tls::RootCerts::PlatformVerifier));
    }

    #[test]
    fn the_scale_knob() {
        assert_eq!(scale(None), 1.0);
        assert_eq!(scale(Some("0")), 0.0);
        assert_eq!(scale(Some("0.5")), 0.5);
        assert_eq!(scale(Some("-1")), 1.0);
        assert_eq!(scale(Some("fast")), 1.0);
    }

    #[test]
    fn variables_expand_and_a_missing_one_is_named() {
        let env = |k: &str| (k == "HOOK").then(|| "T0/B1/xyz".to_string());
        assert_eq!(expand("https://h/${HOOK}?a=$b", &env), Ok("https://h/T0/B1/xyz?a=$b".into()));
        assert_eq!(expand("https://h/${NOPE}", &env), Err(Unusable::MissingVar("NOPE".into())));
        assert_eq!(expand("https://h/${open", &env), Ok("https://h/${open".into()));
    }

    #[test]
    fn targets_from_config() {
        let d = Deliver {
            webhook: Some("http://x/${H}".into()),
            format: Some(Format::Json),
            secret_env: Some("K".into()),
            command: None,
            timeout: Some("2s".into()),
        };
        let t = Target::of(&d, |_| Some("p".into())).unwrap();
        assert_eq!(
            t,
            Target::Webhook {
                url: "http://x/p".into(),
                format: Format::Json,
                secret_env: Some("K".into()),
                timeout: Duration::from_secs(2)
            }
        );
        let c = Deliver { webhook: None, command: Some("cat".into()), timeout: None, ..d.clone() };
        assert_eq!(
            Target::of(&c, |_| None),
            Ok(Target::Command { command: "cat".into(), timeout: DEFAULT_TIMEOUT })
        );
        let both = Deliver { command: Some("cat".into()), ..d };
        assert_eq!(Target::of(&both, |_| None), Err(Unusable::NoTarget));
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
