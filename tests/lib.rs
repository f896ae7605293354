//! One integration-test binary (faster to build than many), one module per area. Every test
//! drives the real `incident` binary on a temporary, real git repository.

mod it;
