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
    /// A type-specific SIMD form of [`crate::argmax::nearest_rows`]'s kernel, if this type and
    /// CPU have one (`f32` and `f64` with AVX2 + FMA); returns `false` to use the generic kernel.
    #[doc(hidden)]
    fn nearest_rows_simd(
        table: &[Self],
        rows: &[u32],
        panels: &[Self],
        d: usize,
        best: &mut [Self],
        best_row: &mut [u32],
    ) -> bool {
        let _ = (table, rows, panels, d, best, best_row);
        false
    }
}

impl Float for f32 {
    fn nearest_rows_simd(
        table: &[f32],
        rows: &[u32],
        panels: &[f32],
        d: usize,
        best: &mut [f32],
        best_row: &mut [u32],
    ) -> bool {
        crate::argmax::nearest_rows_f32(table, rows, panels, d, best, best_row)
    }
}
impl Float for f64 {
    fn nearest_rows_simd(
        table: &[f64],
        rows: &[u32],
        panels: &[f64],
        d: usize,
        best: &mut [f64],
        best_row: &mut [u32],
    ) -> bool {
        crate::argmax::nearest_rows_f64(table, rows, panels, d, best, best_row)
    }
}
