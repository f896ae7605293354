//! Switching rules off in the file itself, as linters usually allow:
//!
//! ```yaml
//! # incident-lint: disable-file=missing-phase
//! steps:
//!   # incident-lint: disable=dangerous-command
//!   - id: wipe-cache
//!     run: rm -rf /var/cache/shop/*
//!   - id: other    # incident-lint: disable=unreachable-step
//! ```
//!
//! `disable=` on its own line covers the block that starts on the next line (that line and
//! every line indented deeper than it); at the end of a line, the block that line starts.

#[derive(Debug, Clone, Default)]
pub struct Suppress {
    file: Vec<String>,
    /// (rule, first line, last line), inclusive.
    ranges: Vec<(String, usize, usize)>,
}

const MARK: &str = "incident-lint:";

impl Suppress {
    pub fn parse(text: &str) -> Suppress {
        let mut s = Suppress::default();
        if !text.contains(MARK) {
            return s;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(hash) = line.find('#') else { continue };
            let comment = line[hash + 1..].trim();
            let Some(directive) = comment.strip_prefix(MARK) else {
                continue;
            };
            let directive = directive.trim();
            let own_line = line[..hash].trim().is_empty();
            if let Some(rules) = directive.strip_prefix("disable-file=") {
                s.file.extend(split(rules));
            } else if let Some(rules) = directive.strip_prefix("disable=") {
                let start = if own_line {
                    match (i + 1..lines.len())
                        .find(|&j| !lines[j].trim().is_empty() && !lines[j].trim_start().starts_with('#'))
                    {
                        Some(j) => j,
                        None => continue,
                    }
                } else {
                    i
                };
                let end = block_end(&lines, start);
                for r in split(rules) {
                    s.ranges.push((r, start + 1, end + 1));
                }
            }
        }
        s
    }

    pub fn covers(&self, rule: &str, line: usize) -> bool {
        self.file.iter().any(|r| r == rule)
            || self.ranges.iter().any(|(r, from, to)| r == rule && (*from..=*to).contains(&line))
    }
}

fn split(rules: &str) -> Vec<String> {
    rules.split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect()
}

/// The last line (0-based) of the block starting at `start`.
fn block_end(lines: &[&str], start: usize) -> usize {
    let own = lines[start].len() - lines[start].trim_start().len();
    let mut end = start;
    for (j, line) in lines.iter().enumerate().skip(start + 1) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let this = line.len() - line.trim_start().len();
        if this > own {
            end = j;
        } else {
            break;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_and_file_suppression() {
        let text = "# incident-lint: disable-file=missing-phase\nsteps:\n  # incident-lint: disable=dangerous-command\n  - id: a\n    run: rm -rf /\n  - id: b # incident-lint: disable=x\n    run: ls\n";
        let s = Suppress::parse(text);
        assert!(s.covers("missing-phase", 99));
        assert!(s.covers("dangerous-command", 4) && s.covers("dangerous-command", 5));
        assert!(!s.covers("dangerous-command", 6));
        assert!(s.covers("x", 6) && s.covers("x", 7));
        assert!(!s.covers("x", 5));
    }
}
