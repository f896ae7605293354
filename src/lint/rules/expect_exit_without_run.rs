//! `expect_exit` on a step with nothing to run.

use crate::lint::{Context, Emit, Input, Rule};

pub struct ExpectExitWithoutRun;

impl Rule for ExpectExitWithoutRun {
    fn check(&self, input: &Input<'_>, _cx: &Context, out: &mut Emit<'_>) {
        for (_, step) in &input.steps {
            if step.get("run").is_none()
                && let Some(key) = step.key("expect_exit")
            {
                out.at(key.pos, "`expect_exit` without `run`: there is no command whose exit code to check");
            }
        }
    }
}
