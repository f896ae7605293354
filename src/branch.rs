//! What a decision does to a walk through a runbook, in one place for the walk (`flow`), for
//! `lint` (`unreachable-step`) and for the runbook's picture (`graph`). Steps are numbered in walking order (phase by phase, then
//! as written); a decision's answers each name a target step.
//!
//! Taking an answer jumps forward to its target, never back (a runbook has no loops); the
//! steps jumped over are not taken, and neither are the other answers' targets, wherever
//! they stand.

use std::collections::BTreeSet;

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

/// Paths explored at most by [`reachable`]; runbooks are far smaller, generated ones are cut off.
const MAX_STATES: usize = 10_000;
/// Steps walked and skipped steps copied, at most: a decision with thousands of answers
/// would otherwise copy thousands of steps for each answer.
const MAX_WORK: usize = 1_000_000;

/// Which steps some sequence of answers (and failures taking `on_fail`) reaches, the walk
/// starting at the first step. `answers[i]` are step `i`'s answers' targets and `on_fail[i]`
/// where its failure jumps (step numbers; targets that do not exist are not listed). `None`
/// when there are too many paths to be sure: better to say nothing than something wrong.
pub fn reachable(answers: &[Vec<usize>], on_fail: &[Option<usize>]) -> Option<Vec<bool>> {
    let len = answers.len();
    let mut reached = vec![false; len];
    let mut stack: Vec<(usize, BTreeSet<usize>)> = vec![(0, BTreeSet::new())];
    let mut seen = BTreeSet::new();
    let mut work = 0;
    while let Some((mut i, excluded)) = stack.pop() {
        if seen.len() > MAX_STATES || work > MAX_WORK {
            return None;
        }
        if !seen.insert((i, excluded.clone())) {
            continue;
        }
        while i < len {
            work += 1;
            if excluded.contains(&i) {
                i += 1;
                continue;
            }
            reached[i] = true;
            // A failure may take the step's `on_fail` jump, as an answer whose only target it
            // is; success goes on.
            if let Some(j) = on_fail.get(i).copied().flatten()
                && let Some(to) = take(i, &[j], j).jump_to
            {
                stack.push((to, excluded.clone()));
            }
            let targets = &answers[i];
            if targets.is_empty() {
                i += 1;
                continue;
            }
            for &j in targets {
                let taken = take(i, targets, j);
                let mut ex = excluded.clone();
                ex.extend(taken.left_out);
                ex.remove(&j);
                work += ex.len();
                if work > MAX_WORK {
                    return None;
                }
                stack.push((taken.jump_to.unwrap_or(i + 1), ex));
            }
            break;
        }
    }
    Some(reached)
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

    #[test]
    fn steps_jumped_over_by_every_path_are_not_reached() {
        // 0 decides between 2 and 3: 1 is jumped over; 3's failure jumps to 5, so 4 is still
        // reached by success.
        let answers = vec![vec![2, 3], vec![], vec![], vec![], vec![], vec![]];
        let on_fail = vec![None, None, None, Some(5), None, None];
        let r = reachable(&answers, &on_fail).unwrap();
        assert_eq!(r, vec![true, false, true, true, true, true]);
    }
}
