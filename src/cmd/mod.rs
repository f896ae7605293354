//! One module per subcommand (or per family of small ones, as `record`).

pub mod actions;
pub mod brief;
pub mod change;
pub mod classify;
pub mod correct;
pub mod demo;
pub mod docs;
pub mod doctor;
pub mod ingest;
pub mod init;
pub mod lint;
pub mod list;
pub mod maintenance;
pub mod open;
pub mod phase;
pub mod postmortem;
pub mod record;
pub mod runbook;
pub mod stats;
pub mod status;
pub mod status_page;
pub mod step;
pub mod sync;
pub mod timeline;
pub mod update;
pub mod walk;
