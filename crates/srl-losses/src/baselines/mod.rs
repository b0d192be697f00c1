//! Baselines of deep imbalanced regression (DIR) with hand-derived gradients, ported from the
//! public reference code and checked against it (see `shared/BASELINES.md` in the project
//! documentation for the exact reference behaviour).
//!
//! - [`lds`]: SQINV / INV re-weighting and label distribution smoothing (Yang et al., ICML 2021),
//!   plus the kernel windows shared with FDS.
//! - [`balanced_mse`]: Balanced MSE — BMC, BNI and GAI (Ren et al., CVPR 2022).
//! - [`ordinal_entropy`]: the ordinal-entropy regulariser (Zhang et al., ICLR 2023).
//! - [`ranksim`]: RankSim (Gong et al., ICML 2022) with blackbox-differentiation backward.
//! - [`fds`]: feature distribution smoothing (Yang et al., ICML 2021), using the LDS kernels
//!   sum-normalised ([`lds::LdsKernel::window_sum_normalised`]).
//! - [`conr`]: ConR, contrastive regularisation for DIR (Keramati et al., ICLR 2024).
//!
//! Every module documents which quirks of the reference implementation it replicates and
//! which it fixes.

pub mod balanced_mse;
pub mod conr;
pub mod fds;
pub mod lds;
pub mod ordinal_entropy;
pub mod ranksim;
