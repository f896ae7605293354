//! `ingest --listen`: a small blocking HTTP receiver, so an alert sender (Alertmanager's
//! `webhook_config`, a Grafana contact point, a PagerDuty webhook) can post straight to the
//! record, with nothing else to host.
//!
//! Written over `std::net` with `httparse` (already built for `ureq`) rather than a server
//! crate: the whole of what it must do is one route, a body limit, a deadline and a stop, and
//! each is a few lines here where a reader sees it. No async runtime: one listener does not
//! need one.
//!
//! - Each connection is read on a thread of its own (at most [`MAX_CONNECTIONS`] at once), with
//!   a deadline for the whole request ([`REQUEST_DEADLINE`]), so a slow or silent client holds
//!   only its own thread, and only for that long.
//! - A request's head is at most [`HEAD_LIMIT`] bytes, its body at most [`BODY_LIMIT`] (413
//!   over it, told by `Content-Length` before the body is read; a body is never read past it).
//! - The notifications themselves are handled one at a time, on the thread that called
//!   [`Server::serve`], and answered only once handled: what a 2xx acknowledges is on disk.
//! - One request per connection (`Connection: close`): a client that keeps a connection open
//!   cannot hold a reader.
//! - Off loopback a key is required; with one, a request must carry it as a bearer token or
//!   sign its body with it (HMAC-SHA256), compared in constant time.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::alerts::Format;
use crate::ctx::Ctx;
use crate::error::{Category, InputError, Result, SystemError};
use crate::ingest::Received;
use crate::out::Ui;
use crate::runner::Interrupt;

/// The largest body accepted. An Alertmanager group of a few hundred alerts fits with room to
/// spare (`max_alerts` in a `webhook_config` caps a larger one); past it the sender is told
/// 413 and nothing is written.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// The largest request line and headers accepted (431 past it).
pub const HEAD_LIMIT: usize = 16 * 1024;
/// The most headers one request may carry (431 past it).
const MAX_HEADERS: usize = 64;
/// How long a client has to send its whole request, head and body (408 past it).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(10);
/// Connections read at once; one more is answered 503 at once and closed.
pub const MAX_CONNECTIONS: usize = 32;
/// How long writing an answer may take before the client is given up on.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the serving loop looks at the stop flag while no notification comes.
const TICK: Duration = Duration::from_millis(100);
/// After answering a request whose body was not read (413, 401…), what is still read and
/// dropped before the connection closes, so the answer is not lost to a reset: at most this
/// much, for at most [`LINGER`].
const LINGER_BYTES: usize = 16 * 1024 * 1024;
const LINGER: Duration = Duration::from_secs(2);

/// The paths a notification is posted to, and the one a health check gets.
const NOTIFY_PATHS: [&str; 2] = ["/", "/alerts"];
const HEALTH_PATH: &str = "/healthz";

/// A bound listener, and the key requests must carry (if any).
pub struct Server {
    listener: TcpListener,
    key: Option<Vec<u8>>,
}

/// What a request is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    json: bool,
    /// The methods the path takes, for a 405's `Allow`.
    allow: Option<&'static str>,
}

impl Answer {
    /// A plain-text answer: the reason on one line.
    pub fn text(status: u16, body: impl Into<String>) -> Answer {
        let mut body: String = body.into().replace(['\r', '\n'], " ");
        body.push('\n');
        Answer { status, body, json: false, allow: None }
    }

    /// A JSON answer (what was recorded).
    pub fn json(status: u16, body: String) -> Answer {
        Answer { status, body: body + "\n", json: true, allow: None }
    }
}

/// `ingest --listen ADDR`: serves until SIGTERM or Ctrl-C, each notification recorded through
/// [`crate::ingest::receive`] (the same door as `ingest FILE`, so the same append and lock as
/// every command) before it is answered, and told on stdout in a line (`--json`: an object a
/// line). A bad payload is answered 400 with its reason, anything else that went wrong 500;
/// neither stops the server.
pub fn run(ctx: &Ctx, addr: &str, token_env: Option<&str>, format: Format) -> Result<u8> {
    // The repository is found before anything listens: a server that can record nothing
    // must not answer anyone.
    ctx.repo()?;
    let server = Server::bind(addr, token_env)?;
    let local = server.local_addr()?;
    let stop = Interrupt::catch();
    let key = if server.requires_key() { "; requests must carry the key" } else { "" };
    writeln!(ctx.ui.status(), "listening on http://{local}/ (POST / or /alerts; GET /healthz){key}")?;
    // Telling what was recorded failed (stdout's reader left, `| head -1`): the notification
    // is recorded and answered; then the server stops, and `main` tells a reader gone from a
    // failure.
    let failed = std::cell::RefCell::new(None);
    server.serve(
        ctx.ui,
        || stop.fired().is_some() || failed.borrow().is_some(),
        |body| {
            let answer = receive(&ctx.tick(), body, format);
            if let Err(e) = tell(ctx, &answer) {
                *failed.borrow_mut() = Some(e);
            }
            answer.0
        },
    );
    if let Some(e) = failed.into_inner() {
        return Err(e);
    }
    writeln!(ctx.ui.status(), "stopped")?;
    Ok(0)
}

/// One notification recorded; its answer, and what to print about it.
fn receive(ctx: &Ctx, body: &[u8], format: Format) -> (Answer, Result<Received>) {
    let received = ctx.repo().and_then(|repo| crate::ingest::receive(ctx, &repo, body, format));
    let answer = match &received {
        Ok(r) => Answer::json(200, serde_json::to_string(r).unwrap_or_else(|_| "{}".into())),
        Err(e) if e.category() == Category::User => Answer::text(400, e.to_string()),
        Err(e) => Answer::text(500, e.with_hints()),
    };
    (answer, received)
}

/// The line on stdout for a notification recorded, a warning on stderr for one refused.
fn tell(ctx: &Ctx, (answer, received): &(Answer, Result<Received>)) -> Result<()> {
    match received {
        Ok(r) if ctx.global.json => writeln!(ctx.ui.out().raw(), "{}", serde_json::to_string(r)?),
        Ok(r) => writeln!(ctx.ui.out(), "{}", r.line()),
        Err(e) => ctx.ui.warn(format!("a notification answered {}: {}", answer.status, e.with_hints())),
    }
}

/// Where `addr` listens: `HOST:PORT`, `[V6]:PORT`, or a bare `PORT` on 127.0.0.1; a name
/// is resolved, and its first address taken.
fn resolve(addr: &str) -> Result<SocketAddr> {
    let bad = |reason: String| InputError::BadAddress { value: addr.to_string(), reason };
    if let Ok(port) = addr.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    let mut found = addr.to_socket_addrs().map_err(|e| bad(e.to_string()))?;
    Ok(found.next().ok_or_else(|| bad("it resolves to no address".into()))?)
}

impl Server {
    /// Binds `addr`. Off loopback a key is required: the environment variable `token_env`
    /// names must hold one; on loopback a `token_env` given is required all the same (asked
    /// for, it must not be silently absent).
    pub fn bind(addr: &str, token_env: Option<&str>) -> Result<Server> {
        let at = resolve(addr)?;
        let key = token_env.and_then(std::env::var_os).filter(|k| !k.is_empty());
        if key.is_none() && (token_env.is_some() || !at.ip().is_loopback()) {
            return Err(InputError::ListenWithoutKey {
                addr: addr.to_string(),
                var: token_env.map(str::to_string),
            }
            .into());
        }
        let listener =
            TcpListener::bind(at).map_err(|source| SystemError::Listen { addr: addr.to_string(), source })?;
        let key = key.map(std::os::unix::ffi::OsStringExt::into_vec);
        Ok(Server { listener, key })
    }

    /// The address bound (port 0 becomes the port the system chose).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|source| SystemError::Listen { addr: "the listener".into(), source }.into())
    }

    /// Whether requests must carry the key.
    pub fn requires_key(&self) -> bool {
        self.key.is_some()
    }

    /// Serves until `stop` says so: each notification's body is given to `handle`, on this
    /// thread, one at a time, and its answer sent once `handle` returns. A notification being
    /// handled when `stop` turns true is finished and answered, and those already read and
    /// waiting are handled too; then this returns.
    pub fn serve(self, ui: Ui, stop: impl Fn() -> bool, mut handle: impl FnMut(&[u8]) -> Answer) {
        let (jobs, queue) = mpsc::channel::<Job>();
        let key = Arc::new(self.key);
        let listener = self.listener;
        // Never joined: it blocks in accept, and ends with the process.
        std::thread::spawn(move || accept(&listener, &key, &jobs, ui));
        let mut answer = |job: Job| {
            let a = handle(&job.body);
            // The reader may have given up (its client gone): nothing to answer then.
            let _ = job.reply.send(a);
        };
        while !stop() {
            match queue.recv_timeout(TICK) {
                Ok(job) => answer(job),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        while let Ok(job) = queue.try_recv() {
            answer(job);
        }
    }
}

/// A notification read whole, and where its answer goes.
struct Job {
    body: Vec<u8>,
    reply: mpsc::SyncSender<Answer>,
}

/// Accepts connections for ever, each read on a thread of its own, at most
/// [`MAX_CONNECTIONS`] at once. A failed accept (out of descriptors) is waited out, never
/// the end of the server.
fn accept(listener: &TcpListener, key: &Arc<Option<Vec<u8>>>, jobs: &mpsc::Sender<Job>, ui: Ui) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let mut stream = match stream {
            Ok(stream) => stream,
            // A signal to stop: the serving thread sees it.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = ui.warn(format!("accepting a connection: {e}"));
                std::thread::sleep(TICK);
                continue;
            }
        };
        if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let busy = format!("busy: {MAX_CONNECTIONS} requests are being read; try again");
            respond(&mut stream, &Answer::text(503, busy), false);
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (key, jobs, done) = (Arc::clone(key), jobs.clone(), Arc::clone(&active));
        let spawned = std::thread::Builder::new().spawn(move || {
            connection(stream, key.as_ref().as_deref(), &jobs, ui);
            done.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// One connection: its request read (within the deadline), checked, handed over if it is a
/// notification, answered, closed.
fn connection(mut stream: TcpStream, key: Option<&[u8]>, jobs: &mpsc::Sender<Job>, ui: Ui) {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into());
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let (answer, body_read) = match read_request(&mut stream, deadline, key) {
        Ok(Request::Health) => (Answer::text(200, "ok"), true),
        Ok(Request::Notification(body)) => {
            let (reply, answered) = mpsc::sync_channel(1);
            if jobs.send(Job { body, reply }).is_err() {
                (Answer::text(503, "stopping"), true)
            } else {
                // No answer only when the server stopped before handling it.
                (answered.recv().unwrap_or_else(|_| Answer::text(503, "stopping")), true)
            }
        }
        Err(Refused::Answer(answer, body_read)) => {
            let _ = ui.warn(format!(
                "refused a request from {peer}: {} {}",
                answer.status,
                answer.body.trim_end()
            ));
            (answer, body_read)
        }
        Err(Refused::Gone) => return,
    };
    respond(&mut stream, &answer, !body_read);
}

/// Writes `answer` and closes the connection; when the request was not read to its end,
/// what the client still sends is read and dropped for a moment first, so that closing with
/// unread data does not reset the connection before the client reads the answer.
fn respond(stream: &mut TcpStream, answer: &Answer, linger: bool) {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
        answer.status,
        reason(answer.status),
        if answer.json { "application/json" } else { "text/plain; charset=utf-8" },
        answer.body.len(),
        answer.allow.map(|a| format!("Allow: {a}\r\n")).unwrap_or_default(),
    );
    let written = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(answer.body.as_bytes()));
    if written.is_err() {
        return;
    }
    let _ = stream.shutdown(Shutdown::Write);
    if linger {
        let until = Instant::now() + LINGER;
        let mut buf = [0u8; 8192];
        let mut drained = 0;
        while drained < LINGER_BYTES {
            match read_until(stream, &mut buf, until) {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ if status >= 500 => "Internal Server Error",
        _ => "",
    }
}

/// What a request asked for, once read and checked.
#[derive(Debug)]
enum Request {
    Health,
    Notification(Vec<u8>),
}

/// Why a request gets no notification handled: an answer to send (and whether its body was
/// read to the end), or a client gone.
#[derive(Debug)]
enum Refused {
    Answer(Answer, bool),
    Gone,
}

fn refuse(status: u16, reason: impl Into<String>) -> Refused {
    Refused::Answer(Answer::text(status, reason), false)
}

/// A 405 naming, in `Allow`, the methods the path takes.
fn not_allowed(allow: &'static str, reason: impl Into<String>) -> Refused {
    Refused::Answer(Answer { allow: Some(allow), ..Answer::text(405, reason) }, false)
}

/// The parts of a request's head this server looks at.
#[derive(Debug, Default)]
struct Head {
    method: String,
    path: String,
    content_length: Option<usize>,
    chunked: bool,
    expect_continue: bool,
    authorization: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    pagerduty_signature: Option<Vec<u8>>,
}

/// Reads one request within `deadline`: its head, its route, its length, its key, its body.
fn read_request(
    stream: &mut TcpStream,
    deadline: Instant,
    key: Option<&[u8]>,
) -> std::result::Result<Request, Refused> {
    let (head, mut body) = read_head(stream, deadline)?;
    let path = head.path.split_once('?').map_or(head.path.as_str(), |(p, _)| p);
    if path == HEALTH_PATH {
        return match head.method.as_str() {
            "GET" | "HEAD" => Ok(Request::Health),
            _ => Err(not_allowed("GET, HEAD", format!("{} {path}: only GET", head.method))),
        };
    }
    if !NOTIFY_PATHS.contains(&path) {
        return Err(refuse(404, format!("no {path} here: notifications are posted to / or /alerts")));
    }
    if head.method != "POST" {
        return Err(not_allowed("POST", format!("{} {path}: notifications are posted (POST)", head.method)));
    }
    let Some(length) = head.content_length else {
        let why = if head.chunked { "a chunked body is not read" } else { "no Content-Length" };
        return Err(refuse(411, format!("{why}: send the body with its Content-Length")));
    };
    if length > BODY_LIMIT {
        return Err(refuse(
            413,
            format!("the body is {length} bytes; the limit is {BODY_LIMIT} (nothing was recorded)"),
        ));
    }
    if let Some(key) = key
        && !may_carry_key(&head, key)
    {
        return Err(refuse(401, "a bearer token or a signature of the body is required"));
    }
    if head.expect_continue {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").map_err(|_| Refused::Gone)?;
    }
    if body.len() > length {
        return Err(refuse(400, "more bytes than Content-Length says (one request per connection)"));
    }
    let mut buf = vec![0u8; 64 * 1024];
    while body.len() < length {
        let want = (length - body.len()).min(buf.len());
        match read_until(stream, &mut buf[..want], deadline) {
            Ok(0) => {
                let why =
                    format!("the body ended after {} of {length} bytes (nothing was recorded)", body.len());
                return Err(Refused::Answer(Answer::text(400, why), true));
            }
            Ok(n) => body.extend_from_slice(&buf[..n]),
            Err(e) => return Err(read_failed(&e)),
        }
    }
    if let Some(key) = key
        && !carries_key(&head, key, &body)
    {
        return Err(Refused::Answer(Answer::text(401, "the token or signature does not match"), true));
    }
    Ok(Request::Notification(body))
}

/// A read that failed: past the deadline the client is told so; otherwise it is gone.
fn read_failed(e: &std::io::Error) -> Refused {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            refuse(408, format!("the request was not received within {} s", REQUEST_DEADLINE.as_secs()))
        }
        _ => Refused::Gone,
    }
}

/// One read, waiting at most until `deadline`; a signal arriving meanwhile is not the end of
/// the read (the server finishes what it is reading before it stops).
fn read_until(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> std::io::Result<usize> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Reads until the head is complete; returns it and the bytes of the body read with it.
fn read_head(stream: &mut TcpStream, deadline: Instant) -> std::result::Result<(Head, Vec<u8>), Refused> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match read_until(stream, &mut chunk, deadline) {
            Ok(0) => return Err(Refused::Gone),
            Ok(n) => n,
            Err(e) => return Err(read_failed(&e)),
        };
        buf.extend_from_slice(&chunk[..n]);
        match parse_head(&buf)? {
            Some((head, len)) => return Ok((head, buf.split_off(len))),
            None if buf.len() > HEAD_LIMIT => {
                return Err(refuse(431, format!("the request's head passed {HEAD_LIMIT} bytes")));
            }
            None => {}
        }
    }
}

/// The head in `buf` and its length, `None` while it is incomplete.
fn parse_head(buf: &[u8]) -> std::result::Result<Option<(Head, usize)>, Refused> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(refuse(431, format!("more than {MAX_HEADERS} headers")));
        }
        Err(e) => return Err(refuse(400, format!("not an HTTP request: {e}"))),
    };
    let mut head = Head {
        method: request.method.unwrap_or_default().to_string(),
        path: request.path.unwrap_or_default().to_string(),
        ..Head::default()
    };
    for h in request.headers.iter() {
        let value = h.value.trim_ascii();
        match h.name.to_ascii_lowercase().as_str() {
            "content-length" => {
                let n = std::str::from_utf8(value).ok().and_then(|v| v.parse::<usize>().ok());
                match (n, head.content_length) {
                    (None, _) => return Err(refuse(400, "Content-Length is not a number")),
                    (Some(n), Some(before)) if n != before => {
                        return Err(refuse(400, "two different Content-Length headers"));
                    }
                    (Some(n), _) => head.content_length = Some(n),
                }
            }
            "transfer-encoding" => head.chunked = true,
            "expect" => head.expect_continue = value.eq_ignore_ascii_case(b"100-continue"),
            "authorization" => head.authorization = Some(value.to_vec()),
            "x-incident-signature-256" => head.signature = Some(value.to_vec()),
            "x-pagerduty-signature" => head.pagerduty_signature = Some(value.to_vec()),
            _ => {}
        }
    }
    if head.chunked {
        // A body framed two ways is read neither way.
        head.content_length = None;
    }
    Ok(Some((head, len)))
}

/// Before the body is read: a bearer token that matches, or a signature to check once the
/// body is there.
fn may_carry_key(head: &Head, key: &[u8]) -> bool {
    head.signature.is_some() || head.pagerduty_signature.is_some() || bearer_matches(head, key)
}

/// With the body read: the bearer token, or one of the signatures, matches the key.
fn carries_key(head: &Head, key: &[u8], body: &[u8]) -> bool {
    if bearer_matches(head, key) {
        return true;
    }
    let ours = crate::deliver::signature(key, body);
    if head.signature.as_deref().is_some_and(|s| same(s, ours.as_bytes())) {
        return true;
    }
    // PagerDuty's: `v1=<hex>`, several comma-separated while a secret is being rotated.
    let theirs = format!("v1={}", ours.strip_prefix("sha256=").unwrap_or_default());
    head.pagerduty_signature
        .as_deref()
        .is_some_and(|s| s.split(|b| *b == b',').any(|one| same(one.trim_ascii(), theirs.as_bytes())))
}

/// `Authorization: Bearer <key>` (the scheme in any case), what Alertmanager's
/// `http_config.authorization` sends. Digests are compared, so neither the key's bytes nor
/// its length show in how long the comparison takes.
fn bearer_matches(head: &Head, key: &[u8]) -> bool {
    use sha2::Digest;
    let Some(value) = head.authorization.as_deref() else { return false };
    let Some((scheme, token)) = value.split_at_checked(7) else { return false };
    scheme.eq_ignore_ascii_case(b"bearer ")
        && same(&sha2::Sha256::digest(token.trim_ascii()), &sha2::Sha256::digest(key))
}

/// Equality in time that depends on the length only, never on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(text: &str) -> Head {
        match parse_head(text.as_bytes()) {
            Ok(Some((head, _))) => head,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn same_compares_whole_values() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(same(b"", b""));
    }

    #[test]
    fn the_key_is_a_bearer_token_or_a_signature_of_the_body() {
        let key = b"s3cret";
        let body = b"{\"alerts\":[]}";
        let bearer = head_of("POST / HTTP/1.1\r\nAuthorization: bearer s3cret\r\n\r\n");
        assert!(may_carry_key(&bearer, key) && carries_key(&bearer, key, body));
        let wrong = head_of("POST / HTTP/1.1\r\nAuthorization: Bearer s3creT\r\n\r\n");
        assert!(!may_carry_key(&wrong, key));
        let ours = crate::deliver::signature(key, body);
        let signed = head_of(&format!("POST / HTTP/1.1\r\nX-Incident-Signature-256: {ours}\r\n\r\n"));
        assert!(may_carry_key(&signed, key) && carries_key(&signed, key, body));
        assert!(!carries_key(&signed, key, b"{}"));
        let hex = ours.strip_prefix("sha256=").unwrap();
        let pd = head_of(&format!("POST / HTTP/1.1\r\nX-PagerDuty-Signature: v1=00ff, v1={hex}\r\n\r\n"));
        assert!(carries_key(&pd, key, body));
        let unsigned = head_of("POST / HTTP/1.1\r\n\r\n");
        assert!(!may_carry_key(&unsigned, key));
    }

    #[test]
    fn a_head_is_read_whole_or_refused() {
        assert!(matches!(parse_head(b"POST / HTTP/1.1\r\nContent-Len"), Ok(None)));
        assert!(
            matches!(parse_head(b"\x00\xff garbage\r\n\r\n"), Err(Refused::Answer(a, _)) if a.status == 400)
        );
        let framed_twice =
            head_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(framed_twice.content_length, None);
        let two = parse_head(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n");
        assert!(matches!(two, Err(Refused::Answer(a, _)) if a.status == 400));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: y\r\n")).collect();
        let many = parse_head(format!("POST / HTTP/1.1\r\n{many}\r\n").as_bytes());
        assert!(matches!(many, Err(Refused::Answer(a, _)) if a.status == 431));
    }

    /// The server's mechanics with a handler that records nothing: the end-to-end tests
    /// (tests/it/listen.rs) drive the binary.
    #[test]
    fn serves_until_stopped_and_answers_after_handling() {
        use std::sync::atomic::AtomicBool;
        let server = Server::bind("127.0.0.1:0", None).unwrap();
        let addr = server.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let serving = std::thread::spawn(move || {
            server.serve(
                Ui::quiet(),
                || flag.load(Ordering::SeqCst),
                |body| match body {
                    b"bad" => Answer::text(400, "bad\nreason"),
                    _ => Answer::json(200, format!("{{\"bytes\":{}}}", body.len())),
                },
            )
        });
        let ask = |bytes: &[u8]| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let _ = s.write_all(bytes);
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            answer
        };
        let ok = ask(b"POST /alerts HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n") && ok.ends_with("{\"bytes\":5}\n"), "{ok}");
        let bad = ask(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nbad");
        assert!(bad.starts_with("HTTP/1.1 400 ") && bad.ends_with("\r\n\r\nbad reason\n"), "{bad}");
        let continued = ask(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}");
        assert!(continued.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), "{continued}");
        let big = ask(format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", BODY_LIMIT + 1).as_bytes());
        assert!(big.starts_with("HTTP/1.1 413 "), "{big}");
        assert!(ask(b"\x16\x03\x01 tls hello\r\n\r\n").starts_with("HTTP/1.1 400 "));
        assert!(ask(b"GET /healthz HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 "));
        stop.store(true, Ordering::SeqCst);
        serving.join().unwrap();
    }

    #[test]
    fn a_bare_port_is_on_loopback() {
        assert_eq!(resolve("9094").unwrap(), "127.0.0.1:9094".parse().unwrap());
        assert!(resolve("not an address").is_err());
    }
}
