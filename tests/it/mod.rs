pub mod harness;

mod architecture;
mod cache;
mod cli_docs;
mod doctor;
mod errors;
mod exit_codes;
mod lifecycle;
mod lint;
mod lint_robust;
mod log_durability;
mod markdown;
mod model_agreement;
mod oncall;
mod record;
mod shipped_runbooks;
mod small_things;
mod walk_pty;
