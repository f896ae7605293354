//! What a path from someone else's tree may be. A teammate's clone, or whoever can push to
//! the remote, writes the trees `incident sync` brings in; git's tree format lets an entry be
//! named `.git`, `..` or `a/b`, point a symlink anywhere, or name a submodule. Every entry of
//! every tree a sync brings is checked here before a byte of it reaches the disk, as git's
//! `verify_path`, libgit2's `git_path_is_valid` and gitoxide's `gix-validate` check theirs.
//!
//! The rules are stricter than Linux needs: a name that means `.git` to NTFS (`GIT~1`,
//! `.git.`) or to HFS+ (`.g\u{200c}it`) is refused too, since the same repository is cloned on
//! laptops of every kind. An incident repository holds YAML, JSON lines, markdown and HTML;
//! none of its own files needs any of what is refused.

use std::fmt;

/// Why a tree entry is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    Dot,
    DotDot,
    DotGit,
    Separator,
    ControlCharacter,
    NotUtf8,
    Symlink,
    Submodule,
    UnknownMode(u32),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Empty => f.write_str("an empty name"),
            Refusal::Dot => f.write_str("a `.` component"),
            Refusal::DotDot => f.write_str("a `..` component, which leads out of its folder"),
            Refusal::DotGit => {
                f.write_str("inside git's own folder (.git, in a spelling some file system reads as it)")
            }
            Refusal::Separator => f.write_str("a path separator inside a name"),
            Refusal::ControlCharacter => f.write_str("a control character in a name"),
            Refusal::NotUtf8 => f.write_str("a name that is not UTF-8"),
            Refusal::Symlink => f.write_str("a symlink, which could point outside the repository"),
            Refusal::Submodule => f.write_str("a submodule, which could fetch code from anywhere"),
            Refusal::UnknownMode(mode) => write!(f, "an entry of unknown mode {mode:o}"),
        }
    }
}

/// The mode of a tree entry, as git stores it.
pub const TREE: u32 = 0o040_000;
const BLOB: u32 = 0o100_644;
const BLOB_GROUP_WRITABLE: u32 = 0o100_664;
const EXECUTABLE: u32 = 0o100_755;
const SYMLINK: u32 = 0o120_000;
const SUBMODULE: u32 = 0o160_000;

/// One entry of a tree: its name and its mode. `Ok` only for a folder or a plain file whose
/// name is one safe path component.
pub fn check_entry(name: &[u8], mode: u32) -> Result<(), Refusal> {
    check_name(name)?;
    match mode {
        TREE | BLOB | BLOB_GROUP_WRITABLE | EXECUTABLE => Ok(()),
        SYMLINK => Err(Refusal::Symlink),
        SUBMODULE => Err(Refusal::Submodule),
        other => Err(Refusal::UnknownMode(other)),
    }
}

/// One path component.
pub fn check_name(name: &[u8]) -> Result<(), Refusal> {
    match name {
        b"" => return Err(Refusal::Empty),
        b"." => return Err(Refusal::Dot),
        b".." => return Err(Refusal::DotDot),
        _ => {}
    }
    if name.iter().any(|b| *b == b'/' || *b == b'\\') {
        return Err(Refusal::Separator);
    }
    if name.iter().any(|b| *b < 0x20 || *b == 0x7f) {
        return Err(Refusal::ControlCharacter);
    }
    let Ok(text) = std::str::from_utf8(name) else { return Err(Refusal::NotUtf8) };
    if names_git_dir(text) {
        return Err(Refusal::DotGit);
    }
    Ok(())
}

/// Whether a path (components joined by `/`) is safe as a whole; for paths that do not come
/// from a tree walk (a diff's path), checked component by component.
pub fn check_path(path: &str) -> Result<(), Refusal> {
    if path.starts_with('/') {
        return Err(Refusal::Empty);
    }
    path.split('/').try_for_each(|c| check_name(c.as_bytes()))
}

/// `.git` as any file system might read the name: in any case, with the dots and spaces
/// Windows drops at the end (`.git. .`), as its 8.3 short name (`GIT~1`), or with the
/// characters HFS+ ignores (zero-width joiners and the like) anywhere in it.
fn names_git_dir(name: &str) -> bool {
    let visible: String = name.chars().filter(|c| !hfs_ignored(*c)).collect();
    let trimmed = visible.trim_end_matches(['.', ' ']);
    trimmed.eq_ignore_ascii_case(".git") || trimmed.eq_ignore_ascii_case("git~1")
}

/// The code points HFS+ leaves out when it compares names (the list git's `is_hfs_dotgit`
/// skips).
fn hfs_ignored(c: char) -> bool {
    matches!(
        c,
        '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile names from git's, libgit2's and gitoxide's own tables.
    #[test]
    fn hostile_names_are_refused() {
        let cases: &[(&[u8], Refusal)] = &[
            (b"", Refusal::Empty),
            (b".", Refusal::Dot),
            (b"..", Refusal::DotDot),
            (b".git", Refusal::DotGit),
            (b".GIT", Refusal::DotGit),
            (b".Git", Refusal::DotGit),
            (b".git.", Refusal::DotGit),
            (b".git . .", Refusal::DotGit),
            (b"git~1", Refusal::DotGit),
            (b"GIT~1", Refusal::DotGit),
            (".g\u{200c}it".as_bytes(), Refusal::DotGit),
            ("\u{feff}.git".as_bytes(), Refusal::DotGit),
            (".gi\u{206f}T".as_bytes(), Refusal::DotGit),
            (b"a/b", Refusal::Separator),
            (b"..\\x", Refusal::Separator),
            (b"a\nb", Refusal::ControlCharacter),
            (b"a\0b", Refusal::ControlCharacter),
            (b"\x1b[31m", Refusal::ControlCharacter),
            (b"\xff\xfe", Refusal::NotUtf8),
        ];
        for (name, why) in cases {
            assert_eq!(check_name(name), Err(*why), "{:?}", String::from_utf8_lossy(name));
        }
    }

    #[test]
    fn the_names_a_repository_has_are_accepted() {
        for name in [
            "incidents",
            "2026-11-26-checkout-returns-500",
            "events.jsonl",
            ".gitignore",
            ".gitattributes",
            ".github",
            ".git-blame-ignore-revs",
            "git",
            "...",
            ".gitx",
            "post-mortem (draft).md",
            "café.md",
        ] {
            assert_eq!(check_name(name.as_bytes()), Ok(()), "{name}");
        }
    }

    #[test]
    fn modes_other_than_folders_and_files_are_refused() {
        assert_eq!(check_entry(b"x", TREE), Ok(()));
        assert_eq!(check_entry(b"x", BLOB), Ok(()));
        assert_eq!(check_entry(b"x", EXECUTABLE), Ok(()));
        assert_eq!(check_entry(b"x", SYMLINK), Err(Refusal::Symlink));
        assert_eq!(check_entry(b"x", SUBMODULE), Err(Refusal::Submodule));
        assert_eq!(check_entry(b"x", 0o100_000), Err(Refusal::UnknownMode(0o100_000)));
        assert_eq!(check_entry(b".git", TREE), Err(Refusal::DotGit));
    }

    #[test]
    fn whole_paths_are_checked_component_by_component() {
        assert_eq!(check_path("incidents/a/events.jsonl"), Ok(()));
        assert_eq!(check_path("/etc/passwd"), Err(Refusal::Empty));
        assert_eq!(check_path("a//b"), Err(Refusal::Empty));
        assert_eq!(check_path("a/../b"), Err(Refusal::DotDot));
        assert_eq!(check_path("x/.GIT/hooks/pre-push"), Err(Refusal::DotGit));
    }

    /// A property over generated names: whatever is accepted, joined under a root, stays a
    /// single plain component below it that no file system reads as `.git`. Names are built
    /// from the pieces hostile names are made of, by a seeded generator (no dependency, the
    /// same run every time).
    #[test]
    fn every_accepted_generated_name_stays_one_component_below_the_root() {
        let pieces: &[&str] = &[
            ".",
            "..",
            "/",
            "\\",
            "git",
            "GIT",
            "Git",
            ".git",
            "~1",
            " ",
            "\u{200c}",
            "\u{feff}",
            "\u{202e}",
            "\0",
            "\n",
            "a",
            "é",
            "events.jsonl",
            "-",
            "\u{ff0e}",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let root = std::path::Path::new("/repo");
        for _ in 0..50_000 {
            let len = (next() % 5) as usize;
            let name: String = (0..len).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect();
            if check_name(name.as_bytes()).is_err() {
                continue;
            }
            let joined = root.join(&name);
            let comps: Vec<_> = joined.strip_prefix(root).unwrap().components().collect();
            assert_eq!(comps.len(), 1, "{name:?} is more than one component");
            assert!(matches!(comps[0], std::path::Component::Normal(_)), "{name:?}");
            let plain: String = name.chars().filter(|c| !hfs_ignored(*c)).collect();
            let plain = plain.trim_end_matches(['.', ' ']).to_ascii_lowercase();
            assert!(plain != ".git" && plain != "git~1", "{name:?} reads as .git");
            assert!(!name.bytes().any(|b| b < 0x20), "{name:?} has a control character");
        }
    }
}
