//! How long to wait before trying again: a pause that doubles with each attempt, up to a cap,
//! plus jitter, so two clients that failed together (a webhook's receiver restarting, two
//! clones pushing at once) do not retry in lockstep. Deciding is kept apart from sleeping:
//! the caller sleeps, so the schedule is tested without waiting.

use std::time::Duration;

/// The pause before the attempt after `made` attempts (1 for the first): `base` doubled for
/// each attempt after the first, capped at `max`, plus `jitter` (0 to 1) times half of it.
pub fn delay(base: Duration, made: u32, max: Duration, jitter: f64) -> Duration {
    let exp = base.saturating_mul(1 << made.saturating_sub(1).min(16)).min(max);
    exp + exp.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

/// A number from 0 to 1 that differs between calls and processes, for jitter: not for
/// anything that must be unpredictable.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState's keys are random per process and step on each call; the clock adds to it.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    h.write_u128(since_epoch.map_or(0, |d| d.as_nanos()));
    (h.finish() % 10_000) as f64 / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_base_up_to_the_cap_plus_up_to_half_again() {
        let ms = Duration::from_millis;
        assert_eq!(delay(ms(500), 1, ms(8000), 0.0), ms(500));
        assert_eq!(delay(ms(500), 2, ms(8000), 1.0), ms(1000 + 500));
        assert_eq!(delay(ms(500), 3, ms(8000), 0.5), ms(2000 + 500));
        assert_eq!(delay(ms(500), 40, ms(8000), 0.0), ms(8000));
        assert_eq!(delay(ms(500), 0, ms(8000), 7.0), ms(750), "jitter is clamped");
    }

    #[test]
    fn jitter_is_a_fraction() {
        let j = jitter();
        assert!((0.0..1.0).contains(&j), "{j}");
    }
}
