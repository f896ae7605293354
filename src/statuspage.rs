//! The public status page: what the public may see of the record (the external
//! channels' updates of incidents that are not drills, and scheduled maintenances), each
//! service's state day by day, and the static files that show it (`index.html`, `incidents/<id>.html`, `status.json`,
//! `feed.atom`, `banner.html`).
//!
//! A function of the logs alone, so the generated site diffs cleanly in git: the period of N
//! days ends on the UTC day of the repository's latest event, an incident still open counts
//! until that event, and "updated" is that event's time. No clock is read here.
//!
//! - `model`: what the public may see, built from the incidents;
//! - `json`: `status.json`;
//! - `site`: the rendered files, and writing them into the output folder.

mod json;
mod model;
mod site;

pub use json::summary_json;
pub use model::{Component, Page, PublicIncident, PublicMaintenance, PublicUpdate, build};
pub use site::{render, rerender_in_repo, write};

/// Where a repository's own copies of the templates go; each one found wins over the built-in.
pub const TEMPLATE_DIR: &str = "templates/status";

/// How many past incidents `index.html` lists (the most recent): the page stays light (a
/// page any static host serves) however busy the period was; every incident of
/// the period keeps its own page, its entries in `status.json` and in the feed.
pub const PAST_SHOWN: usize = 30;

/// How many days the service bars cover when `--days` is not given.
pub const DEFAULT_DAYS: u32 = 90;
