//! Arg-max down the rows of a score matrix: for every column (a point), the first row with the
//! largest score — the kernel of the enveloping loss (paper Eq. 1–4) and of the coverage
//! statistics.
//!
//! Scores are laid out K × B (table rows × points), so one call of [`max_into`] per row
//! updates the running maximum of every point at once over contiguous memory: a vector compare
//! and blend per lane group instead of a horizontal reduction per point. Rows visited in
//! ascending order with a strict `>` give ties to the lowest row, as a sequential scan would.
//!
//! ```
//! use srl_geometry::argmax::max_into;
//! let scores = [[0.1_f32, 0.9, 0.5], [0.3, 0.9, 0.2]]; // 2 rows × 3 points
//! let (mut best, mut row) = ([f32::NEG_INFINITY; 3], [u32::MAX; 3]);
//! for (k, s) in scores.iter().enumerate() {
//!     max_into(s, k as u32, &mut best, &mut row);
//! }
//! assert_eq!(row, [1, 0, 0]); // point 1: a tie, the first row wins
//! assert_eq!(best, [0.3, 0.9, 0.5]);
//! ```

use crate::Float;

/// `best[j] = max(best[j], row[j])` with `best_row[j] = k` where `row[j]` is strictly greater
/// (equal slices; written over fixed chunks of lanes so the compiler emits vector compares and
/// blends, with a scalar tail). On x86-64 CPUs with AVX2 the same code is compiled for AVX2
/// (8 lanes and a blend instead of SSE2's 4 lanes and three logic operations), chosen at run
/// time; the result is the same bits either way (compares and selects are exact).
#[inline]
pub fn max_into<F: Float>(row: &[F], k: u32, best: &mut [F], best_row: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { max_into_avx2(row, k, best, best_row) };
        return;
    }
    max_into_portable(row, k, best, best_row);
}

/// [`max_into_portable`] compiled with AVX2 enabled.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn max_into_avx2<F: Float>(row: &[F], k: u32, best: &mut [F], best_row: &mut [u32]) {
    max_into_portable(row, k, best, best_row);
}

#[inline(always)]
fn max_into_portable<F: Float>(row: &[F], k: u32, best: &mut [F], best_row: &mut [u32]) {
    const LANES: usize = 16;
    let n = row.len().min(best.len()).min(best_row.len());
    let (row, best, best_row) = (&row[..n], &mut best[..n], &mut best_row[..n]);
    let whole = n - n % LANES;
    for ((r, b), i) in row[..whole]
        .chunks_exact(LANES)
        .zip(best[..whole].chunks_exact_mut(LANES))
        .zip(best_row[..whole].chunks_exact_mut(LANES))
    {
        // Fixed-size arrays and a bit mask for the row index: the form LLVM vectorises (a
        // plain `if` select of the index kept the loop scalar).
        let (Ok(r), Ok(b), Ok(i)) = (
            <&[F; LANES]>::try_from(r),
            <&mut [F; LANES]>::try_from(b),
            <&mut [u32; LANES]>::try_from(i),
        ) else {
            continue; // unreachable: chunks_exact yields LANES items
        };
        for l in 0..LANES {
            let greater = r[l] > b[l];
            let mask = 0u32.wrapping_sub(u32::from(greater));
            i[l] = (k & mask) | (i[l] & !mask);
            b[l] = if greater { r[l] } else { b[l] };
        }
    }
    for j in whole..n {
        if row[j] > best[j] {
            best[j] = row[j];
            best_row[j] = k;
        }
    }
}
