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

/// Text from data (titles, notes, paths, what git said) as a terminal may show it: control
/// characters become visible pictures (ESC → ␛), so data can neither move the cursor, retitle
/// the window nor clear the screen.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{7f}' => '\u{2421}',
                c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                c if c.is_control() => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}
