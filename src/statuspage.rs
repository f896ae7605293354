//! The public status page: what the public may see of the record (the external channels'
//! updates of public incidents: not drills, not private, not canceled, and severe enough or
//! told about on an external channel, and scheduled maintenances), each service's state day
//! by day, and the static files that show it (`index.html`, `incidents/<id>.html`,
//! `status.json`, `feed.atom`, `feeds/<service>.atom`, `banner.html`, and `api/v2/`, the same
//! as Atlassian Statuspage's public API serves it).
//!
//! A function of the logs alone, so the generated site diffs cleanly in git: the period of N
//! days ends on the day (in `status_page.time_zone`) of the repository's latest event, an
//! incident still open counts until that event, and "updated" is that event's time. No clock
//! is read here, nor `TZ`: the zone is the repository's, its database built in. People read
//! times in that zone; machine files keep UTC.
//!
//! - `model`: what the public may see, built from the incidents;
//! - `json`: `status.json`;
//! - `api`: `api/v2/*.json`;
//! - `site`: the rendered files, and writing them into the output folder.

mod api;
mod json;
mod model;
mod site;

pub use json::summary_json;
pub use model::{Component, Page, PublicIncident, PublicMaintenance, PublicUpdate, build};
pub use site::{publish, rerender_in_repo};

/// Where a repository's own copies of the templates go; each one found wins over the built-in.
pub const TEMPLATE_DIR: &str = "templates/status";

/// How many past incidents `index.html` lists (the most recent): the page stays light (a
/// page any static host serves) however busy the period was; every incident of
/// the period keeps its own page, its entries in `status.json` and in the feed.
pub const PAST_SHOWN: usize = 30;

/// How many updates a feed carries (the newest): a feed reader polls it every few minutes for
/// what is new, so a busy year must not make every poll download megabytes. Every update stays
/// on its incident's page and in `status.json`.
pub const FEED_ENTRIES: usize = 100;

/// How many days the service bars cover when `--days` is not given.
pub const DEFAULT_DAYS: u32 = 90;
