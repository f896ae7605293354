//! `expect_exit` on a step with nothing to run.

use crate::lint::{Context, Doc, Emit, Rule, Severity};

pub struct ExpectExitWithoutRun;

impl Rule for ExpectExitWithoutRun {
    fn id(&self) -> &'static str {
        "expect-exit-without-run"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "`expect_exit` on a step that has no `run` command"
    }
    fn explain(&self) -> &'static str {
        "`expect_exit` says which exit code of the step's command means success. Without `run` it does nothing; the command was probably deleted or misspelled. Add the command or remove `expect_exit`."
    }
    fn check(&self, doc: &Doc, _cx: &Context, out: &mut Emit<'_>) {
        for (_, step) in doc.steps() {
            if step.get("run").is_none()
                && let Some(key) = step.key("expect_exit")
            {
                out.at(key.pos, "`expect_exit` without `run`: there is no command whose exit code to check");
            }
        }
    }
}
