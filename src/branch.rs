//! What a decision does to a walk through a runbook, in one place for the walk (`flow`) and
//! for `lint` (`unreachable-step`). Steps are numbered in walking order (phase by phase, then
//! as written); a decision's answers each name a target step.
//!
//! Taking an answer jumps forward to its target, never back (a runbook has no loops); the
//! steps jumped over are not taken, and neither are the other answers' targets, wherever
//! they stand.

/// The effect of taking one answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Taken {
    /// The step the walk continues at, when the target lies ahead.
    pub jump_to: Option<usize>,
    /// The steps between the decision and the target: jumped over.
    pub jumped_over: std::ops::Range<usize>,
    /// The other answers' targets: left out, unless reached some other way.
    pub left_out: Vec<usize>,
}

/// Taking the answer whose target is `chosen`, at step `at`, among answers whose targets are
/// `targets` (step numbers; answers whose target does not exist are not listed).
pub fn take(at: usize, targets: &[usize], chosen: usize) -> Taken {
    let ahead = chosen > at;
    Taken {
        jump_to: ahead.then_some(chosen),
        jumped_over: if ahead { at + 1..chosen } else { at + 1..at + 1 },
        left_out: targets.iter().copied().filter(|t| *t != chosen).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_jumps_leave_out_the_rest() {
        let t = take(1, &[3, 5], 3);
        assert_eq!(t, Taken { jump_to: Some(3), jumped_over: 2..3, left_out: vec![5] });
        // A target behind the decision is not followed: no loops.
        let t = take(4, &[2, 6], 2);
        assert_eq!(t.jump_to, None);
        assert!(t.jumped_over.is_empty());
        assert_eq!(t.left_out, vec![6]);
    }
}
