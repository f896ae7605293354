//! `lint --check-programs` (rule `missing-program`): every program a command calls must be a
//! builtin or keyword of `sh`, a function the same command defines, or an executable file on
//! this machine, so that a runbook calling `kubectl` on a laptop without it is caught before
//! the incident rather than at 3 a.m. Off by default: what is installed differs between CI and
//! the responder's machine, and only the machine that will run the runbook can answer.
//!
//! The shell is parsed with tree-sitter's bash grammar (`tree-sitter-bash`), not a regular
//! expression, so the program is found wherever `sh` would look for one: through pipes, `&&`,
//! `||`, `;`, `$(…)`, backquotes, subshells, `{ …; }`, `if`/`while`/`for`/`case` bodies and
//! function bodies. Chosen over the other parsers of POSIX sh for Rust: `yash-syntax` is
//! GPL-3.0 (this tool is MIT); `brush-parser` brings about 45 crates (two `syn` majors,
//! `insta` and `pest` as normal dependencies) for a longer clean build; `conch-parser` is
//! unmaintained since 2018 and its tree keeps no positions. tree-sitter is maintained, gives
//! each node's byte offset, is blocking, needs no runtime, never fails on bad input (it marks
//! the broken part) and adds a handful of crates and one C file to the build (the C compiler
//! is already needed by libgit2). Its grammar is bash's, a superset of what `sh` accepts: what
//! is bash-only is ShellCheck's to report, not this rule's.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tree_sitter::{Node as TsNode, Parser};

use super::{Context, Emit, Input, Rule, commands};

pub struct MissingProgram;

impl Rule for MissingProgram {
    fn check(&self, input: &Input<'_>, cx: &Context, out: &mut Emit<'_>) {
        if !cx.check_programs {
            return;
        }
        for cmd in commands::of(input.doc) {
            let missing: Vec<(usize, String)> = calls(cmd.script)
                .into_iter()
                .filter_map(|call| cx.programs.missing(&call, cx.root.as_deref()).map(|why| (call.at, why)))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let map = cmd.map(input.doc);
            for (at, why) in missing {
                out.at(map.at_byte(at), why);
            }
        }
    }
}

/// The builtins and keywords of `sh` as the runner meets it: POSIX's special and regular
/// builtins plus dash's own (Debian's `sh`), which are found without looking at PATH. `echo`,
/// `printf`, `test` and `[` are builtins in dash too. Bash-only builtins (`declare`, `source`,
/// `typeset`, `shopt`) are not here: under dash they are looked for on PATH, and not found.
const BUILTINS: &[&str] = &[
    "!", ".", ":", "[", "{", "}", "alias", "bg", "break", "case", "cd", "chdir", "command", "continue", "do",
    "done", "echo", "elif", "else", "esac", "eval", "exec", "exit", "export", "false", "fc", "fg", "fi",
    "for", "getopts", "hash", "if", "in", "jobs", "kill", "local", "printf", "pwd", "read", "readonly",
    "return", "set", "shift", "test", "then", "times", "trap", "true", "type", "ulimit", "umask", "unalias",
    "unset", "until", "wait", "while",
];

/// Where `sudo` finds programs besides the caller's PATH: its default `secure_path`, which
/// holds the `sbin` folders a user's PATH often lacks (`sudo iptables …`).
const SUDO_PATH: &[&str] = &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// One program a command calls: its name as written, where it starts in the command (a byte
/// offset), and whether it is run through `sudo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub name: String,
    pub at: usize,
    pub sudo: bool,
    /// Defined as a function in the same command.
    pub function: bool,
}

/// What is installed, looked up once per name for a whole lint run (many steps call the same
/// few programs), shared by the threads that lint files.
#[derive(Debug, Default)]
pub struct Lookup {
    found: Mutex<HashMap<(String, bool), bool>>,
}

impl Lookup {
    /// Why `call` would not run on this machine from `root` (where the runner starts commands:
    /// the repository), or `None` when it would or cannot be told.
    fn missing(&self, call: &Call, root: Option<&Path>) -> Option<String> {
        let name = call.name.as_str();
        if call.function || BUILTINS.contains(&name) {
            return None;
        }
        if name.contains('/') {
            return path_problem(name, root);
        }
        let key = (name.to_string(), call.sudo);
        let cached = self.found.lock().ok().and_then(|found| found.get(&key).copied());
        let found = cached.unwrap_or_else(|| {
            let found = on_path(name, call.sudo, root);
            if let Ok(mut cache) = self.found.lock() {
                cache.insert(key, found);
            }
            found
        });
        (!found).then(|| format!("`{name}` is not a shell builtin and is not on this machine's PATH"))
    }
}

/// Whether `name` is an executable file in a folder of PATH (and, for `sudo`, of its
/// `secure_path`). An empty or relative PATH entry counts from the folder commands start in,
/// the repository.
fn on_path(name: &str, sudo: bool, root: Option<&Path>) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter_map(|d| if d.is_relative() { root.map(|r| r.join(&d)) } else { Some(d) })
        .collect();
    if sudo {
        dirs.extend(SUDO_PATH.iter().map(PathBuf::from));
    }
    dirs.iter().any(|d| executable(&d.join(name)))
}

/// An executable file (a folder or a file without an execute bit is not a program).
pub(super) fn executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What is wrong with a program named by its path: absolute, or relative to the repository
/// where the runner starts commands. Outside a repository a relative path cannot be told.
fn path_problem(name: &str, root: Option<&Path>) -> Option<String> {
    let path = if Path::new(name).is_absolute() { PathBuf::from(name) } else { root?.join(name) };
    let whence = if Path::new(name).is_absolute() { "on this machine" } else { "in the repository" };
    match std::fs::metadata(&path) {
        Err(_) => {
            Some(format!("`{name}` does not exist {whence} (commands run from the repository's top folder)"))
        }
        Ok(m) if m.is_dir() => Some(format!("`{name}` is a folder, not a program")),
        Ok(_) if !executable(&path) => Some(format!("`{name}` is not executable (chmod +x {name})")),
        Ok(_) => None,
    }
}

thread_local! {
    /// One parser per linting thread: building one loads the grammar's tables.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Every program `script` calls, in order. Nothing for a script the parser finds broken:
/// where the shell is wrong, which word is a program is a guess, and ShellCheck reports
/// the syntax itself.
pub fn calls(script: &str) -> Vec<Call> {
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser.set_language(&tree_sitter_bash::LANGUAGE.into()).ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(ascii(script), None)
    });
    let Some(tree) = tree else { return Vec::new() };
    let root = tree.root_node();
    if root.has_error() {
        return Vec::new();
    }
    let mut functions = HashSet::new();
    let mut found = Vec::new();
    // An explicit stack: `$($($(…)))` nests as deep as the text goes, deeper than a thread's stack.
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "function_definition" => {
                if let Some(name) = node.child_by_field_name("name").and_then(|n| text(n, script)) {
                    functions.insert(name.to_string());
                }
            }
            "command" => found.extend(command_calls(node, script)),
            // `declare`, `typeset`, `export`, `local`, `readonly`: bash parses them apart;
            // dash has only the last three.
            "declaration_command" | "unset_command" => {
                if let Some(word) = node.child(0).filter(|n| !n.is_named())
                    && let Some(name) = text(word, script)
                {
                    found.push(Call {
                        name: name.to_string(),
                        at: word.start_byte(),
                        sudo: false,
                        function: false,
                    });
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<TsNode<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    for call in &mut found {
        call.function = !call.sudo && functions.contains(&call.name);
    }
    found.sort_by_key(|c| c.at);
    found
}

/// `script` with each byte of a non-ASCII character replaced by `a`: what the parser is
/// given. tree-sitter-bash's scanner hands the character after a `{` to C's `isdigit`, whose
/// behaviour is undefined past 255 (a crash on `{😀`, found by the property test below). To
/// `sh` a non-ASCII character is a word character, as `a` is, and every byte keeps its offset,
/// so positions are the script's; names are read from the script itself.
fn ascii(script: &str) -> String {
    script.bytes().map(|b| if b.is_ascii() { char::from(b) } else { 'a' }).collect()
}

/// The text of `node` in the script (`None` if its ends are not character boundaries, which
/// a word never splits).
fn text<'s>(node: TsNode<'_>, script: &'s str) -> Option<&'s str> {
    script.get(node.start_byte()..node.end_byte())
}

/// A word as `sh` would read it when it is plain text: backslashes removed (`\kubectl` skips
/// aliases); `None` for anything the shell expands (`$CMD`, `"$(…)"`, globs, `~`), which is
/// not known before it runs.
fn literal(node: TsNode<'_>, script: &str) -> Option<String> {
    let node = if node.kind() == "command_name" { node.named_child(0)? } else { node };
    // `5` in `timeout 5 x` is a `number` to the grammar, a word to `sh`.
    if !matches!(node.kind(), "word" | "number") {
        return None;
    }
    let word = text(node, script)?;
    if word.starts_with('~') || word.contains(['*', '?', '[', '$', '`']) {
        return None;
    }
    Some(word.replace('\\', ""))
}

/// The program of one simple command, and those its wrappers run (see [`wrapped`]).
fn command_calls(node: TsNode<'_>, script: &str) -> Vec<Call> {
    let Some(name_node) = node.child_by_field_name("name") else { return Vec::new() };
    let Some(name) = literal(name_node, script) else { return Vec::new() };
    let mut cursor = node.walk();
    let args: Vec<(Option<String>, usize)> = node
        .children_by_field_name("argument", &mut cursor)
        .map(|arg| (literal(arg, script), arg.start_byte()))
        .collect();
    let mut calls = vec![Call { name, at: name_node.start_byte(), sudo: false, function: false }];
    let mut rest: &[(Option<String>, usize)] = &args;
    let mut sudo = false;
    while let Some(last) = calls.last() {
        let Some(next) = wrapped(&last.name, rest) else { break };
        sudo |= last.name == "sudo";
        let Some((Some(name), at)) = rest.get(next) else { break };
        calls.push(Call { name: name.clone(), at: *at, sudo, function: false });
        rest = rest.get(next + 1..).unwrap_or_default();
    }
    calls
}

/// For a program that runs another named by its arguments, the index in `args` of that
/// program; `None` when it runs none, runs a shell string, or its options are not understood.
///
/// Followed: `command` and `exec` (builtins that run their argument), `env`, `sudo`, `nice`,
/// `nohup`, `timeout`, `time` and `xargs`, which run the program on this machine, so it has to
/// be installed here too. Not followed: `sh -c`, `bash -c`, `watch` (their argument is shell
/// text, not a program), `ssh`, `kubectl exec`, `docker run` (the program runs elsewhere, where
/// this machine's PATH says nothing). `command -v NAME` asks whether NAME exists, the usual way
/// to test for a program, so it is not a call. Options that take a value are skipped with it;
/// an option not in the tables below stops the following, rather than guess.
fn wrapped(name: &str, args: &[(Option<String>, usize)]) -> Option<usize> {
    // (flags alone, options taking the next word, whether `NAME=value` words may come first)
    let (flags, valued, assignments): (&[&str], &[&str], bool) = match name {
        "command" => (&["-p"], &[], false),
        "exec" | "nohup" => (&[], &[], false),
        "env" => (
            &["-i", "-0", "-v", "--ignore-environment", "--null", "--debug"],
            &["-u", "-C", "--unset", "--chdir"],
            true,
        ),
        "sudo" => (
            &[
                "-A",
                "-b",
                "-E",
                "-H",
                "-n",
                "-P",
                "-S",
                "-s",
                "-i",
                "-k",
                "--preserve-env",
                "--login",
                "--shell",
                "--non-interactive",
                "--background",
                "--askpass",
                "--set-home",
                "--stdin",
            ],
            &[
                "-u",
                "-g",
                "-C",
                "-D",
                "-h",
                "-p",
                "-r",
                "-t",
                "-T",
                "-U",
                "--user",
                "--group",
                "--chdir",
                "--prompt",
                "--role",
                "--type",
                "--host",
                "--close-from",
                "--command-timeout",
                "--other-user",
            ],
            true,
        ),
        "nice" => (&[], &["-n", "--adjustment"], false),
        "timeout" => (
            &["--foreground", "--preserve-status", "-v", "--verbose"],
            &["-s", "-k", "--signal", "--kill-after"],
            false,
        ),
        "time" => (
            &["-p", "-a", "-v", "-q", "--append", "--verbose", "--quiet", "--portability"],
            &["-f", "-o", "--format", "--output"],
            false,
        ),
        "xargs" => (
            &[
                "-0",
                "-r",
                "-t",
                "-p",
                "-x",
                "-o",
                "--null",
                "--no-run-if-empty",
                "--verbose",
                "--interactive",
                "--exit",
                "--open-tty",
            ],
            &[
                "-I",
                "-L",
                "-n",
                "-P",
                "-s",
                "-d",
                "-E",
                "-a",
                "--max-lines",
                "--max-args",
                "--max-procs",
                "--max-chars",
                "--delimiter",
                "--eof",
                "--arg-file",
                "--replace",
            ],
            false,
        ),
        _ => return None,
    };
    // `timeout` takes its duration before the program.
    let mut operands_before = usize::from(name == "timeout");
    let mut i = 0;
    while let Some((arg, _)) = args.get(i) {
        let arg = arg.as_deref()?;
        if arg == "--" {
            return Some(i + 1 + operands_before);
        }
        if let Some(option) = arg.strip_prefix('-').filter(|o| !o.is_empty()) {
            let head = arg.split_once('=').map_or(arg, |(h, _)| h);
            if name == "command" && (option.contains('v') || option.contains('V')) {
                return None;
            }
            if flags.contains(&arg) || (arg.contains('=') && valued.contains(&head)) {
                i += 1;
            } else if valued.contains(&arg) {
                i += 2;
            } else if valued.iter().any(|v| v.len() == 2 && arg.starts_with(v)) {
                // `-n5`, `-uroot`: the value attached.
                i += 1;
            } else if name == "nice" && option.bytes().all(|b| b.is_ascii_digit()) {
                i += 1;
            } else {
                return None;
            }
            continue;
        }
        if assignments && arg.contains('=') {
            i += 1;
            continue;
        }
        if operands_before > 0 {
            operands_before -= 1;
            i += 1;
            continue;
        }
        return Some(i);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<(String, usize)> {
        calls(script).into_iter().filter(|c| !c.function).map(|c| (c.name, c.at)).collect()
    }

    #[test]
    fn programs_through_every_construct() {
        let script = "f() { kubectl get \"$1\"; }; if a | b && c; then x=$(d `e`); fi; $CMD h; \"$(i)\" j; A=1 k; while m; do n; done; case $x in a) o;; esac; ( p ); { q; }; f";
        let found: Vec<String> = names(script).into_iter().map(|(n, _)| n).collect();
        assert_eq!(found, ["kubectl", "a", "b", "c", "d", "e", "i", "k", "m", "n", "o", "p", "q"]);
        assert_eq!(names("  jq .")[0], ("jq".to_string(), 2));
    }

    #[test]
    fn wrappers_are_followed_to_their_program() {
        let got = |s: &str| names(s).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(
            got("sudo -u root env -i A=1 timeout -s KILL 5s nice -n 5 nohup kubectl get"),
            ["sudo", "env", "timeout", "nice", "nohup", "kubectl"]
        );
        assert_eq!(got("command -v kubectl || exec jq ."), ["command", "exec", "jq"]);
        assert_eq!(got("timeout 5 absent"), ["timeout", "absent"]);
        assert_eq!(got("xargs -n 1 -P4 curl -fsS < urls"), ["xargs", "curl"]);
        assert_eq!(got("sh -c 'kubectl get'; ssh host kubectl"), ["sh", "ssh"]);
        assert_eq!(got("env --weird kubectl"), ["env"]);
        assert!(calls("sudo iptables -L").iter().any(|c| c.name == "iptables" && c.sudo));
        assert_eq!(
            got("time -p absent; nice -5 b; exec >/dev/null; ! \\kubectl get"),
            ["time", "absent", "nice", "b", "exec", "kubectl"]
        );
        // bash's own builtins are programs to dash, looked for on PATH like any other.
        assert_eq!(got("declare x=1; local y; export z"), ["declare", "local", "export"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any text as a command, bytes of shell syntax or not: no panic, and every call's
        /// offset is inside the command on a character boundary.
        #[test]
        fn any_command_is_read_without_panicking(script in proptest::string::string_regex(r#"(.|\n|[$`'"(){};|&<> \\]){0,80}"#).unwrap()) {
            for call in calls(&script) {
                proptest::prop_assert!(script.is_char_boundary(call.at) && call.at < script.len(), "{call:?} in {script:?}");
            }
            let runbook = format!("id: t\nphases:\n  detect:\n    steps:\n      - id: a\n        title: A\n        run: {}\n", serde_json::to_string(&script).unwrap_or_default());
            let cx = Context { check_programs: true, ..Context::default() };
            let _ = crate::lint::lint_text("runbooks/t.yaml", &runbook, &cx);
        }
    }

    /// Regression: the scanner read C's `isdigit` table at the code point after a `{`, far
    /// past its end for a character such as an emoji, and the process died (SIGSEGV).
    #[test]
    fn a_brace_before_a_non_ascii_character_does_not_crash() {
        for c in ['é', '€', '😀', '\u{10FFFF}'] {
            let _ = calls(&format!("echo {{{c}"));
            let _ = calls(&format!("{{{c}..{c}}}"));
        }
        let found = calls("echo é; café-tool --x");
        assert_eq!(
            found.iter().map(|c| (c.name.as_str(), c.at)).collect::<Vec<_>>(),
            [("echo", 0), ("café-tool", 9)]
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = format!("{}x{}", "$(".repeat(20_000), ")".repeat(20_000));
        let _ = calls(&deep);
        let deep = format!("{}x{}", "(".repeat(20_000), ")".repeat(20_000));
        let _ = calls(&deep);
    }

    #[test]
    fn broken_shell_gives_nothing() {
        assert!(calls("if then fi (((").is_empty());
        assert!(calls("").is_empty());
    }
}
