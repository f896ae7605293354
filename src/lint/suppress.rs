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
        let lines: Vec<&str> = crate::yaml::lines(text).collect();
        // Worked out once for the whole file, so that many directives stay linear.
        let mut blocks: Option<Blocks> = None;
        for (i, line) in lines.iter().enumerate() {
            let Some((code, comment)) = line.split_once('#') else { continue };
            let comment = comment.trim();
            let Some(directive) = comment.strip_prefix(MARK) else {
                continue;
            };
            let directive = directive.trim();
            let own_line = code.trim().is_empty();
            if let Some(rules) = directive.strip_prefix("disable-file=") {
                s.file.extend(split(rules));
            } else if let Some(rules) = directive.strip_prefix("disable=") {
                let blocks = blocks.get_or_insert_with(|| Blocks::of(&lines));
                let start = if own_line {
                    match blocks.next_code(i + 1) {
                        Some(j) => j,
                        None => continue,
                    }
                } else {
                    i
                };
                let end = blocks.end(start);
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

fn is_code(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The file's code lines (neither blank nor comment) and where each one's block ends.
struct Blocks {
    /// 0-based indices of the code lines, ascending.
    code: Vec<usize>,
    /// For each code line (same order), the last code line indented deeper than it before
    /// the next one that is not, or itself.
    ends: Vec<usize>,
}

impl Blocks {
    fn of(lines: &[&str]) -> Blocks {
        let code: Vec<usize> = (0..lines.len()).filter(|&i| is_code(lines[i])).collect();
        let mut ends = vec![0; code.len()];
        // Backwards, keeping the code lines not yet closed by a shallower-or-equal one: the
        // first of them no deeper than line k closes k's block.
        let mut open: Vec<usize> = Vec::new();
        for k in (0..code.len()).rev() {
            let own = indent(lines[code[k]]);
            while open.last().is_some_and(|&m| indent(lines[code[m]]) > own) {
                open.pop();
            }
            let last = open.last().map_or(code.len() - 1, |&m| m - 1);
            ends[k] = code[last.max(k)];
            open.push(k);
        }
        Blocks { code, ends }
    }

    /// The first code line at or after `from`.
    fn next_code(&self, from: usize) -> Option<usize> {
        self.code.get(self.code.partition_point(|&c| c < from)).copied()
    }

    /// The last line (0-based) of the block starting at the code line `start`.
    fn end(&self, start: usize) -> usize {
        self.code.binary_search(&start).map_or(start, |k| self.ends[k])
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::string_slice,
        reason = "slices of fixed test texts: a panic here fails the test, no user's text reaches it"
    )]
    use super::*;

    /// The scan `parse` used to do for each directive: the reference for what it finds now.
    fn scanned(text: &str) -> Vec<(String, usize, usize)> {
        let lines: Vec<&str> = crate::yaml::lines(text).collect();
        let mut out = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let Some(hash) = line.find('#') else { continue };
            let Some(rules) =
                line[hash + 1..].trim().strip_prefix(MARK).and_then(|d| d.trim().strip_prefix("disable="))
            else {
                continue;
            };
            let start = if line[..hash].trim().is_empty() {
                match (i + 1..lines.len()).find(|&j| is_code(lines[j])) {
                    Some(j) => j,
                    None => continue,
                }
            } else {
                i
            };
            let own = indent(lines[start]);
            let mut end = start;
            for (j, line) in lines.iter().enumerate().skip(start + 1) {
                if !is_code(line) {
                    continue;
                }
                if indent(line) > own {
                    end = j;
                } else {
                    break;
                }
            }
            out.extend(split(rules).into_iter().map(|r| (r, start + 1, end + 1)));
        }
        out
    }

    /// Regression: each `disable=` directive scanned the rest of the file for its block, so a
    /// file of 130,000 directive lines took over a minute. Found by tests/it/lint_robust.rs.
    #[test]
    fn many_directives_stay_linear() {
        let text = "# incident-lint: disable=x\n".repeat(100_000);
        let started = std::time::Instant::now();
        let s = Suppress::parse(&text);
        assert!(s.ranges.is_empty());
        let text =
            format!("{}a:\n{}", "# incident-lint: disable=x\n".repeat(50_000), "  b: 1\n".repeat(50_000));
        let s = Suppress::parse(&text);
        assert_eq!(s.ranges.len(), 50_000);
        assert!(s.covers("x", 100_001) && !s.covers("x", 100_002));
        // Loose: the quadratic scan took minutes in debug builds.
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    }

    /// The blocks worked out once agree with the scan, on nested, ragged and commented text.
    #[test]
    fn blocks_agree_with_the_scan() {
        let pieces = [
            "a:",
            "  b:",
            "    c: 1",
            "  # incident-lint: disable=r1",
            "",
            "  d: 2 # incident-lint: disable=r2,r3",
            "      e: 3",
            "# incident-lint: disable=r4",
            "\tf: 4",
            "   # note",
            "g: # incident-lint: disable=r5",
            "  - h",
            "# incident-lint: disable=r6",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..2_000 {
            let mut text = String::new();
            for _ in 0..(seed % 17) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
                text.push('\n');
            }
            seed = seed.wrapping_add(1);
            assert_eq!(Suppress::parse(&text).ranges, scanned(&text), "{text:?}");
        }
    }

    /// Regression: lines were split by `str::lines`, which does not end a line at a bare CR,
    /// so a directive after one covered other lines than findings name. Found by fuzzing.
    #[test]
    fn bare_cr_ends_a_line() {
        let s = Suppress::parse("a: 1\r# incident-lint: disable=x\rb: 2\nc: 3\n");
        assert!(s.covers("x", 3) && !s.covers("x", 4) && !s.covers("x", 2));
    }

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
