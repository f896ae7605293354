//! One integration-test binary (faster to build than many), one module per area. Every test
//! drives the real `incident` binary on a temporary, real git repository.

#![allow(
    clippy::string_slice,
    reason = "slices of the tests' own output and fixtures: a panic here fails the test, it never reaches a user"
)]

mod it;
