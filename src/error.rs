//! The one error type of the tool. Each variant carries what the user needs to fix the
//! problem, and knows its exit code, so `main` never has to guess (SPEC §4: 2 is bad usage
//! or bad input, 1 is "ran and found a problem").

use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// Bad usage or input that a user can fix by changing what they typed.
    Usage(String),
    /// No incident repository could be found.
    NoRepo {
        from: PathBuf,
    },
    /// A file the user wrote (YAML, template) is malformed; `at` is `file:line:col`.
    BadFile {
        at: String,
        message: String,
    },
    /// An incident id or prefix that matches nothing, or several incidents.
    UnknownIncident {
        given: String,
        candidates: Vec<String>,
    },
    AmbiguousIncident {
        given: Option<String>,
        candidates: Vec<String>,
    },
    /// A decision the tool will not make on its own when nobody is at a terminal.
    NeedsTerminal {
        what: String,
        hint: String,
    },
    /// The event log of an incident is corrupt before its last line.
    CorruptLog {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A problem the command found and reports (exit 1), e.g. a step command that failed.
    Found(String),
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Git(String),
    Template {
        name: String,
        message: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Found(_) => 1,
            Error::Io { .. } | Error::Git(_) => 1,
            _ => 2,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(m) | Error::Found(m) => f.write_str(m),
            Error::NoRepo { from } => write!(
                f,
                "no incident repository: no incident.yaml in {} or any parent; run `incident init`, pass --repo PATH or set INCIDENT_REPO",
                from.display()
            ),
            Error::BadFile { at, message } => write!(f, "{at}: {message}"),
            Error::UnknownIncident { given, candidates } => {
                write!(f, "no incident matches {given:?}")?;
                if candidates.is_empty() {
                    write!(f, "; there are no incidents yet (`incident open TITLE --severity SEV`)")
                } else {
                    write!(f, "; known: {}", candidates.join(", "))
                }
            }
            Error::AmbiguousIncident { given, candidates } => {
                match given {
                    Some(g) => write!(f, "{g:?} matches several incidents")?,
                    None => write!(f, "several incidents are open")?,
                }
                write!(f, "; pass one with --incident ID: {}", candidates.join(", "))
            }
            Error::NeedsTerminal { what, hint } => {
                write!(f, "{what} needs a decision and stdin is not a terminal; {hint}")
            }
            Error::CorruptLog { path, line, message } => write!(
                f,
                "{}:{line}: unreadable event ({message}); the events before it are intact, fix or remove this line",
                path.display()
            ),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Git(m) => write!(f, "git: {m}"),
            Error::Template { name, message } => write!(f, "template {name}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::Git(e.message().to_string())
    }
}
