//! Terminal output shared by the read commands: tables and money.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    t
}

/// `1234567.0` → `USD 1,234,567`: for the terminal and the postmortem alike.
pub fn money(amount: f64, currency: &str) -> String {
    let whole = format!("{:.0}", amount.abs());
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{currency} {sign}{grouped}")
}
