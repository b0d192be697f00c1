//! Test-only helpers shared by the SRL test suites (a `[dev-dependencies]` entry only; never a
//! dependency of a library or binary target):
//!
//! - [`FdCheck`]: hand-derived gradients against central finite differences in `f64`,
//!   (f(x + h·e_i) − f(x − h·e_i)) / 2h per coordinate i, with `approx`-style tolerances and a
//!   failure message naming the worst coordinate.
//! - [`random`]: seeded inputs (standard-Gaussian matrices and vectors, uniform matrices, random
//!   bin assignments with absent bins), all from ChaCha8 so that every test sees the same
//!   numbers on every platform.
//!
//! ```
//! use srl_testkit::{random::gaussian_matrix, FdCheck};
//! // f(x) = Σ x², ∇f = 2x.
//! let x = gaussian_matrix::<f64>(3, 2, 7);
//! let report = FdCheck::new(1e-6).check(&x, &(&x * 2.0), |x| x.mapv(|v| v * v).sum());
//! assert_eq!(report.checked, 6);
//! ```

pub mod fd;
pub mod random;

pub use fd::{central_difference, FdCheck, FdReport, FdWorst};
