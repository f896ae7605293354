//! Terminal output helpers shared by the read commands: tables and time formatting.

use chrono::{DateTime, Utc};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    t
}

/// `2026-11-27 14:02:00Z`: compact, unambiguous UTC for tables.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

pub fn opt_utc(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_string(), utc)
}

pub fn opt_dur(s: Option<i64>) -> String {
    s.map_or_else(|| "—".to_string(), crate::timefmt::human)
}
