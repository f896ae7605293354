pub mod harness;

mod cli_docs;
mod errors;
mod lifecycle;
mod lint;
mod lint_robust;
mod log_durability;
mod markdown;
mod walk_pty;
