//! The scalar type all SRL crates are generic over.

use ndarray::NdFloat;
use num_traits::FromPrimitive;

/// A floating-point scalar usable throughout SRL: `f32` (training) or `f64` (gradient checks).
///
/// Both `f32` and `f64` also implement `linfa::Float`, so arrays move freely between SRL and
/// linfa.
pub trait Float:
    NdFloat + FromPrimitive + Default + std::iter::Sum + Send + Sync + 'static
{
    /// Converts an `f64` constant into this type.
    fn cst(x: f64) -> Self {
        Self::from_f64(x).expect("every f64 constant is representable in f32/f64")
    }
    /// Converts a count into this type.
    fn from_count(n: usize) -> Self {
        Self::from_usize(n).expect("counts are representable")
    }
}

impl Float for f32 {}
impl Float for f64 {}
