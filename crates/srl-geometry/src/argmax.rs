//! Arg-max down the rows of a score matrix: for every column (a point), the first row with the
//! largest score — the kernel of the enveloping loss (paper Eq. 1–4) and of the coverage
//! statistics.
//!
//! Two forms: [`nearest_rows`] computes the scores s_kj = ⟨c_k, p_j⟩ itself and keeps them in
//! registers (no score matrix is ever written: the fused form the enveloping loss uses every
//! step), and [`max_into`] folds one row of an already computed score matrix into a running
//! maximum.
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
use ndarray::ArrayView2;

/// Points handled together by [`nearest_rows`] (one AVX-512 or two AVX2 vectors of `f32`).
const GROUP: usize = 16;
/// Table rows scored together by [`nearest_rows`]: independent multiply-add chains that hide
/// each other's latency and share every load of the points.
const ROWS: usize = 4;

/// N points of dimension d packed for [`nearest_rows`]: panels of 16 points, each
/// stored coordinate-major (d × 16, contiguous), the last panel padded with zero points.
///
/// ```
/// use ndarray::array;
/// use srl_geometry::argmax::PackedPoints;
/// let packed = PackedPoints::new(array![[1.0_f32, 0.0], [0.0, 1.0], [0.6, 0.8]].view());
/// assert_eq!((packed.len(), packed.dim()), (3, 2));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PackedPoints<F> {
    data: Vec<F>,
    n: usize,
    d: usize,
}

impl<F: Float> PackedPoints<F> {
    /// Packs the rows of `points` (N × d).
    pub fn new(points: ArrayView2<F>) -> Self {
        let mut packed = Self {
            data: Vec::new(),
            n: 0,
            d: 0,
        };
        packed.repack(points);
        packed
    }

    /// Packs `points` again, reusing the buffer when the shape is unchanged.
    pub fn repack(&mut self, points: ArrayView2<F>) {
        let (n, d) = points.dim();
        let panels = n.div_ceil(GROUP);
        self.data.clear();
        self.data.resize(panels * d * GROUP, F::zero());
        let points = points.as_standard_layout();
        if let Some(src) = points.as_slice() {
            // Panel by panel: each point's d coordinates go to lane `l` of d rows of 16.
            for (panel, rows) in self
                .data
                .chunks_exact_mut(d * GROUP)
                .zip(src.chunks(d * GROUP))
            {
                for (l, p) in rows.chunks_exact(d).enumerate() {
                    for (t, &v) in p.iter().enumerate() {
                        panel[t * GROUP + l] = v;
                    }
                }
            }
        }
        (self.n, self.d) = (n, d);
    }

    /// Number of points N.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.d
    }
}

/// For every point p_j of `points`, the first of the table rows `rows` (ascending indices
/// into `table`, K × d) with the largest score s_kj = ⟨c_k, p_j⟩: writes `best[j]` = that
/// score and `best_row[j]` = k (−∞ and `u32::MAX` when `rows` is empty).
///
/// Each score is the chain s = fma(c_k,d−1, p_j,d−1, … fma(c_k,0, p_j,0, 0)) — one fused
/// multiply-add per coordinate in ascending order when the CPU has FMA (x86-64 with AVX2 and
/// FMA, chosen at run time), a multiply then an add otherwise: the same operations, in the
/// same order, as the GEMM micro-kernels of `matrixmultiply` behind `ndarray`'s `dot` (for
/// d ≤ 256, its depth block), so the scores, the arg-max rows and the maxima are
/// bit-identical to a full `table · pointsᵀ` product followed by [`max_into`] (tested),
/// without the product's packing or its K × N score matrix: the scores of a panel of points
/// stay in registers next to their running maximum. Rows are visited in ascending order with
/// a strict `>`: ties go to the lowest row.
///
/// `best` and `best_row` must hold N entries and `table` d columns (otherwise — a caller
/// bug — nothing is written).
///
/// ```
/// use ndarray::array;
/// use srl_geometry::argmax::{nearest_rows, PackedPoints};
/// let table = array![[1.0_f32, 0.0], [0.0, 0.0], [0.0, 1.0]]; // row 1: never-seen bin, skipped
/// let points = PackedPoints::new(array![[1.0_f32, 0.0], [0.0, 1.0], [0.6, 0.8]].view());
/// let (mut best, mut row) = ([0.0_f32; 3], [0_u32; 3]);
/// nearest_rows(table.view(), &[0, 2], &points, &mut best, &mut row);
/// assert_eq!(row, [0, 2, 2]);
/// assert_eq!(best, [1.0, 1.0, 0.8]);
/// ```
pub fn nearest_rows<F: Float>(
    table: ArrayView2<F>,
    rows: &[u32],
    points: &PackedPoints<F>,
    best: &mut [F],
    best_row: &mut [u32],
) {
    let (n, d) = (points.n, points.d);
    if table.ncols() != d
        || best.len() < n
        || best_row.len() < n
        || rows.iter().any(|&k| k as usize >= table.nrows())
    {
        return;
    }
    let table = table.as_standard_layout();
    let Some(table) = table.as_slice() else {
        return; // unreachable: standard layout is contiguous
    };
    let (best, best_row) = (&mut best[..n], &mut best_row[..n]);
    if d == 0 || rows.is_empty() {
        best.fill(F::neg_infinity());
        best_row.fill(u32::MAX);
        return;
    }
    // Points are independent: large problems split their panels over the rayon pool, each
    // thread writing its own range of `best`/`best_row` — the same bits for any thread count.
    // Small problems never touch rayon: asking for its thread count starts the global pool,
    // whose worker threads allocate as they start (and a tiny kernel would not gain).
    let work = rows.len() * n * d;
    let large = work >= PARALLEL_MIN_WORK && n > GROUP;
    if large && rayon::current_num_threads() > 1 {
        let threads = rayon::current_num_threads();
        use rayon::prelude::*;
        let per = n.div_ceil(GROUP).div_ceil(threads); // panels per part
        points
            .data
            .par_chunks(per * d * GROUP)
            .zip(best.par_chunks_mut(per * GROUP))
            .zip(best_row.par_chunks_mut(per * GROUP))
            .for_each(|((panels, best), best_row)| {
                nearest_rows_serial(table, rows, panels, d, best, best_row)
            });
    } else {
        nearest_rows_serial(table, rows, &points.data, d, best, best_row);
    }
}

/// Multiply-adds (rows × points × d) from which [`nearest_rows`] uses more than one thread:
/// 2²⁰ (≈ 0.1 ms of one core). The UCI-DIR enveloping term (38 × 1,000 × 10) stays on one
/// thread; IOL's (100 × 1,000 × 100) splits.
pub const PARALLEL_MIN_WORK: usize = 1 << 20;

/// [`nearest_rows`] on one thread over `panels` (whose points fill `best`, in order).
fn nearest_rows_serial<F: Float>(
    table: &[F],
    rows: &[u32],
    panels: &[F],
    d: usize,
    best: &mut [F],
    best_row: &mut [u32],
) {
    // f32 and f64 (the only `Float`s) have AVX2 + FMA kernels; without those CPU features the
    // portable kernel's multiply-then-add is what the GEMM's non-FMA kernels compute too.
    if !F::nearest_rows_simd(table, rows, panels, d, best, best_row) {
        nearest_rows_portable(table, rows, panels, d, best, best_row);
    }
}

/// The `f32` kernel with explicit AVX2 + FMA vectors when the CPU has them (the hot path of
/// SRL training; the compiler's own vectorisation of a generic form mixed vector widths and
/// spilled the accumulators): per panel of 16 points two 8-lane vectors per row, four rows at
/// a time (eight independent FMA chains), then a compare and two blends per vector for the
/// running maximum and its row. Returns `false` (nothing written) without AVX2 + FMA.
pub(crate) fn nearest_rows_f32(
    table: &[f32],
    rows: &[u32],
    panels: &[f32],
    d: usize,
    best: &mut [f32],
    best_row: &mut [u32],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        unsafe { nearest_rows_f32_avx2(table, rows, panels, d, best, best_row) };
        return true;
    }
    let _ = (table, rows, panels, d, best, best_row);
    false
}

/// See [`nearest_rows_f32`].
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn nearest_rows_f32_avx2(
    table: &[f32],
    rows: &[u32],
    panels: &[f32],
    d: usize,
    best: &mut [f32],
    best_row: &mut [u32],
) {
    use std::arch::x86_64::{
        __m256, _mm256_blendv_ps, _mm256_castsi256_ps, _mm256_cmp_ps, _mm256_fmadd_ps,
        _mm256_loadu_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
        _CMP_GT_OQ,
    };
    const _: () = assert!(GROUP == 16 && ROWS == 4);
    // Rows outer, panels inner: a chunk's row slices are set up once per call, and the running
    // maxima live in `best`/`best_row` between chunks (the panels stay in L1/L2).
    best.fill(f32::NEG_INFINITY);
    best_row.fill(u32::MAX);
    let n = best.len();
    for chunk in rows.chunks(ROWS) {
        let last = chunk[chunk.len() - 1];
        let ks: [u32; ROWS] = [0, 1, 2, 3].map(|r| chunk.get(r).copied().unwrap_or(last));
        let [c0, c1, c2, c3] = ks.map(|k| &table[k as usize * d..][..d]);
        let kv = ks.map(|k| _mm256_castsi256_ps(_mm256_set1_epi32(k as i32)));
        for (g, panel) in panels.chunks_exact(d * GROUP).enumerate() {
            let mut acc: [__m256; 2 * ROWS] = [_mm256_setzero_ps(); 2 * ROWS];
            for ((((p, &a0), &a1), &a2), &a3) in
                panel.chunks_exact(GROUP).zip(c0).zip(c1).zip(c2).zip(c3)
            {
                // SAFETY: `p` holds 16 floats; unaligned loads of 8 at offsets 0 and 8.
                let (p0, p1) = unsafe {
                    (
                        _mm256_loadu_ps(p.as_ptr()),
                        _mm256_loadu_ps(p.as_ptr().add(8)),
                    )
                };
                for (r, a) in [a0, a1, a2, a3].into_iter().enumerate() {
                    let c = _mm256_set1_ps(a);
                    acc[2 * r] = _mm256_fmadd_ps(c, p0, acc[2 * r]);
                    acc[2 * r + 1] = _mm256_fmadd_ps(c, p1, acc[2 * r + 1]);
                }
            }
            let start = g * GROUP;
            let lanes = GROUP.min(n - start);
            // A full panel is folded in place; the padded last one through 16-lane copies.
            let (mut lane_best, mut lane_row) = ([0.0_f32; GROUP], [0_u32; GROUP]);
            let (bp, rp) = if lanes == GROUP {
                (
                    best[start..start + GROUP].as_mut_ptr(),
                    best_row[start..start + GROUP].as_mut_ptr().cast::<f32>(),
                )
            } else {
                lane_best[..lanes].copy_from_slice(&best[start..start + lanes]);
                lane_row[..lanes].copy_from_slice(&best_row[start..start + lanes]);
                (lane_best.as_mut_ptr(), lane_row.as_mut_ptr().cast::<f32>())
            };
            // SAFETY: `bp` and `rp` point to 16 writable values (a full panel of `best` and
            // `best_row`, or the lane arrays), no reference to them is live meanwhile; the
            // row indices are moved as raw 32-bit lanes (blends do not inspect them).
            unsafe {
                for v in 0..2 {
                    let mut bv = _mm256_loadu_ps(bp.add(8 * v));
                    let mut bi = _mm256_loadu_ps(rp.add(8 * v));
                    for r in 0..ROWS {
                        let greater = _mm256_cmp_ps::<_CMP_GT_OQ>(acc[2 * r + v], bv);
                        bv = _mm256_blendv_ps(bv, acc[2 * r + v], greater);
                        bi = _mm256_blendv_ps(bi, kv[r], greater);
                    }
                    _mm256_storeu_ps(bp.add(8 * v), bv);
                    _mm256_storeu_ps(rp.add(8 * v), bi);
                }
            }
            if lanes < GROUP {
                best[start..start + lanes].copy_from_slice(&lane_best[..lanes]);
                best_row[start..start + lanes].copy_from_slice(&lane_row[..lanes]);
            }
        }
    }
}

/// The `f64` counterpart of [`nearest_rows_f32`] (the geometry statistics of the validation
/// passes and the gradient checks): per panel of 16 points four 4-lane vectors per row, two
/// rows at a time (eight FMA chains). Returns `false` (nothing written) without AVX2 + FMA.
pub(crate) fn nearest_rows_f64(
    table: &[f64],
    rows: &[u32],
    panels: &[f64],
    d: usize,
    best: &mut [f64],
    best_row: &mut [u32],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        unsafe { nearest_rows_f64_avx2(table, rows, panels, d, best, best_row) };
        return true;
    }
    let _ = (table, rows, panels, d, best, best_row);
    false
}

/// See [`nearest_rows_f64`].
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn nearest_rows_f64_avx2(
    table: &[f64],
    rows: &[u32],
    panels: &[f64],
    d: usize,
    best: &mut [f64],
    best_row: &mut [u32],
) {
    use std::arch::x86_64::{
        __m256d, _mm256_blendv_pd, _mm256_cmp_pd, _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd,
        _mm256_setzero_pd, _mm256_storeu_pd, _CMP_GT_OQ,
    };
    const R: usize = 2;
    const _: () = assert!(GROUP == 16);
    best.fill(f64::NEG_INFINITY);
    best_row.fill(u32::MAX);
    let n = best.len();
    for chunk in rows.chunks(R) {
        let last = chunk[chunk.len() - 1];
        let ks: [u32; R] = [0, 1].map(|r| chunk.get(r).copied().unwrap_or(last));
        let [c0, c1] = ks.map(|k| &table[k as usize * d..][..d]);
        // Row indices travel as exact f64 values through the blends.
        let kv = ks.map(|k| _mm256_set1_pd(f64::from(k)));
        for (g, panel) in panels.chunks_exact(d * GROUP).enumerate() {
            let mut acc: [__m256d; 4 * R] = [_mm256_setzero_pd(); 4 * R];
            for ((p, &a0), &a1) in panel.chunks_exact(GROUP).zip(c0).zip(c1) {
                // SAFETY: `p` holds 16 doubles; unaligned loads of 4 at offsets 0, 4, 8, 12.
                let pv = unsafe { [0, 4, 8, 12].map(|o| _mm256_loadu_pd(p.as_ptr().add(o))) };
                for (r, a) in [a0, a1].into_iter().enumerate() {
                    let c = _mm256_set1_pd(a);
                    for v in 0..4 {
                        acc[4 * r + v] = _mm256_fmadd_pd(c, pv[v], acc[4 * r + v]);
                    }
                }
            }
            let start = g * GROUP;
            let lanes = GROUP.min(n - start);
            let mut lane_best = [f64::NEG_INFINITY; GROUP];
            let mut lane_row = [f64::from(u32::MAX); GROUP];
            lane_best[..lanes].copy_from_slice(&best[start..start + lanes]);
            for (l, &k) in lane_row.iter_mut().zip(&best_row[start..start + lanes]) {
                *l = f64::from(k);
            }
            // SAFETY: both arrays hold 16 doubles; unaligned loads/stores of 4 at 0, 4, 8, 12.
            unsafe {
                for v in 0..4 {
                    let mut bv = _mm256_loadu_pd(lane_best.as_ptr().add(4 * v));
                    let mut bi = _mm256_loadu_pd(lane_row.as_ptr().add(4 * v));
                    for r in 0..R {
                        let greater = _mm256_cmp_pd::<_CMP_GT_OQ>(acc[4 * r + v], bv);
                        bv = _mm256_blendv_pd(bv, acc[4 * r + v], greater);
                        bi = _mm256_blendv_pd(bi, kv[r], greater);
                    }
                    _mm256_storeu_pd(lane_best.as_mut_ptr().add(4 * v), bv);
                    _mm256_storeu_pd(lane_row.as_mut_ptr().add(4 * v), bi);
                }
            }
            best[start..start + lanes].copy_from_slice(&lane_best[..lanes]);
            for (k, &l) in best_row[start..start + lanes].iter_mut().zip(&lane_row) {
                *k = l as u32; // exact: l is a u32 held in an f64
            }
        }
    }
}

/// The portable kernel (CPUs without AVX2 + FMA): per panel of [`GROUP`] points, rows in
/// chunks of [`ROWS`] (a short last chunk repeats its last row, which can never win a strict
/// `>` against itself) accumulated with a multiply then an add over the d coordinates, and
/// folded into the per-lane running maximum and its row.
fn nearest_rows_portable<F: Float>(
    table: &[F],
    rows: &[u32],
    panels: &[F],
    d: usize,
    best: &mut [F],
    best_row: &mut [u32],
) {
    let n = best.len();
    for (g, panel) in panels.chunks_exact(d * GROUP).enumerate() {
        let mut bv = [F::neg_infinity(); GROUP];
        let mut bi = [u32::MAX; GROUP];
        for chunk in rows.chunks(ROWS) {
            let last = chunk[chunk.len() - 1];
            let ks: [u32; ROWS] = std::array::from_fn(|r| chunk.get(r).copied().unwrap_or(last));
            let cs: [&[F]; ROWS] = ks.map(|k| &table[k as usize * d..][..d]);
            let mut acc = [[F::zero(); GROUP]; ROWS];
            for t in 0..d {
                let Ok(p) = <&[F; GROUP]>::try_from(&panel[t * GROUP..(t + 1) * GROUP]) else {
                    continue; // unreachable: the panel holds d·GROUP values
                };
                for r in 0..ROWS {
                    let c = cs[r][t];
                    for l in 0..GROUP {
                        acc[r][l] = c * p[l] + acc[r][l];
                    }
                }
            }
            for r in 0..ROWS {
                for l in 0..GROUP {
                    let greater = acc[r][l] > bv[l];
                    let mask = 0u32.wrapping_sub(u32::from(greater));
                    bi[l] = (ks[r] & mask) | (bi[l] & !mask);
                    bv[l] = if greater { acc[r][l] } else { bv[l] };
                }
            }
        }
        let start = g * GROUP;
        let lanes = GROUP.min(n - start);
        best[start..start + lanes].copy_from_slice(&bv[..lanes]);
        best_row[start..start + lanes].copy_from_slice(&bi[..lanes]);
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{linalg::general_mat_mul, Array2};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The reference: the full GEMM product, then [`max_into`] down its rows.
    fn via_gemm<F: Float>(
        table: &Array2<F>,
        rows: &[u32],
        points_t: &Array2<F>,
    ) -> (Vec<F>, Vec<u32>) {
        let n = points_t.ncols();
        let mut scores = Array2::zeros((table.nrows(), n));
        general_mat_mul(F::one(), table, points_t, F::zero(), &mut scores);
        let (mut best, mut row) = (vec![F::neg_infinity(); n], vec![u32::MAX; n]);
        for &k in rows {
            let s = scores.row(k as usize).to_vec();
            max_into(&s, k, &mut best, &mut row);
        }
        (best, row)
    }

    /// A random K×d table with exact ties (every fifth row repeats the one before: the first
    /// wins), d×N points (transposed) and the rows to scan (every seventh skipped).
    fn case<F: Float>(n: usize, k: usize, d: usize, seed: u64) -> (Array2<F>, Array2<F>, Vec<u32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut table = Array2::<F>::from_shape_fn((k, d), |_| F::cst(rng.gen_range(-1.0..1.0)));
        for kk in (3..k).step_by(5) {
            let prev = table.row(kk - 1).to_owned();
            table.row_mut(kk).assign(&prev);
        }
        let points_t = Array2::<F>::from_shape_fn((d, n), |_| F::cst(rng.gen_range(-1.0..1.0)));
        let rows: Vec<u32> = (0..k as u32).filter(|r| r % 7 != 2).collect();
        (table, points_t, rows)
    }

    /// The bits of each value, for exact comparison.
    fn bits<F: Float>(v: &[F]) -> Vec<Option<u64>> {
        v.iter().map(|x| x.to_f64().map(f64::to_bits)).collect()
    }

    fn check<F: Float>(n: usize, k: usize, d: usize, seed: u64) {
        let (table, points_t, rows) = case::<F>(n, k, d, seed);
        let (mut best, mut row) = (vec![F::zero(); n], vec![0; n]);
        let packed = PackedPoints::new(points_t.t());
        nearest_rows(table.view(), &rows, &packed, &mut best, &mut row);
        let (eb, er) = via_gemm(&table, &rows, &points_t);
        assert_eq!(row, er, "n {n} k {k} d {d}");
        assert_eq!(bits(&best), bits(&eb), "n {n} k {k} d {d}");
    }

    /// Bit for bit the GEMM + [`max_into`] result: scores, rows, ties, skipped rows, fewer
    /// points than a group, a tail, one row, one coordinate, the benchmarks' shapes.
    #[test]
    fn fused_scores_equal_the_gemm_bit_for_bit() {
        for (n, k, d) in [
            (1, 1, 1),
            (5, 3, 2),
            (16, 1, 3),
            (33, 9, 7),
            (1000, 38, 10),
            (1000, 100, 100),
            (517, 64, 128),
            (2000, 7, 64),
        ] {
            check::<f32>(n, k, d, 3 + n as u64);
            check::<f64>(n, k, d, 5 + n as u64);
        }
    }

    /// The portable kernel (used on CPUs without AVX2 + FMA, so never on the machines the
    /// other tests run on) against a scalar multiply-then-add chain and first-maximum scan, bit
    /// for bit: ties, skipped rows, a padded last panel, one row.
    #[test]
    fn portable_kernel_equals_a_scalar_scan() {
        fn reference<F: Float>(
            table: &Array2<F>,
            rows: &[u32],
            points_t: &Array2<F>,
        ) -> (Vec<F>, Vec<u32>) {
            let mut out = (Vec::new(), Vec::new());
            for p in points_t.columns() {
                let (mut bv, mut bi) = (F::neg_infinity(), u32::MAX);
                for &k in rows {
                    let s = table
                        .row(k as usize)
                        .iter()
                        .zip(p)
                        .fold(F::zero(), |acc, (&c, &x)| c * x + acc);
                    if s > bv {
                        (bv, bi) = (s, k);
                    }
                }
                out.0.push(bv);
                out.1.push(bi);
            }
            out
        }
        fn run<F: Float>(n: usize, k: usize, d: usize, seed: u64) {
            let (table, points_t, rows) = case::<F>(n, k, d, seed);
            let packed = PackedPoints::new(points_t.t());
            let (mut best, mut row) = (vec![F::zero(); n], vec![0; n]);
            let flat = table.as_slice().unwrap();
            nearest_rows_portable(flat, &rows, &packed.data, d, &mut best, &mut row);
            let (eb, er) = reference(&table, &rows, &points_t);
            assert_eq!(row, er, "n {n} k {k} d {d}");
            assert_eq!(bits(&best), bits(&eb), "n {n} k {k} d {d}");
        }
        for (n, k, d) in [
            (1, 1, 1),
            (5, 3, 2),
            (33, 9, 7),
            (1000, 38, 10),
            (517, 64, 128),
        ] {
            run::<f32>(n, k, d, 7 + n as u64);
            run::<f64>(n, k, d, 9 + n as u64);
        }
    }

    /// Above the parallel threshold, 1, 2 and 3 threads give the same bits.
    #[test]
    fn thread_count_does_not_change_the_result() {
        let (n, k, d) = (2000, 60, 16);
        assert!(n * k * d >= PARALLEL_MIN_WORK);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let table = Array2::<f32>::from_shape_fn((k, d), |_| rng.gen_range(-1.0..1.0));
        let points = Array2::<f32>::from_shape_fn((n, d), |_| rng.gen_range(-1.0..1.0));
        let packed = PackedPoints::new(points.view());
        let rows: Vec<u32> = (0..k as u32).collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (mut best, mut row) = (vec![0.0_f32; n], vec![0_u32; n]);
            pool.install(|| nearest_rows(table.view(), &rows, &packed, &mut best, &mut row));
            (best.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), row)
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        let (eb, er) = via_gemm(&table, &rows, &points.t().to_owned());
        assert_eq!(one.1, er);
        assert_eq!(one.0, eb.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }

    #[test]
    fn no_rows_and_bad_shapes_write_nothing_wrong() {
        let table = Array2::<f32>::ones((2, 3));
        let points = PackedPoints::new(Array2::<f32>::ones((20, 3)).view());
        let (mut best, mut row) = (vec![0.0_f32; 20], vec![0_u32; 20]);
        nearest_rows(table.view(), &[], &points, &mut best, &mut row);
        assert!(best.iter().all(|v| *v == f32::NEG_INFINITY));
        assert!(row.iter().all(|r| *r == u32::MAX));
        // A row index past the table, or outputs too short: untouched.
        let (mut best, mut row) = (vec![7.0_f32; 20], vec![7_u32; 20]);
        nearest_rows(table.view(), &[5], &points, &mut best, &mut row);
        nearest_rows(table.view(), &[0], &points, &mut best[..3], &mut row);
        assert!(best.iter().all(|v| *v == 7.0) && row.iter().all(|r| *r == 7));
    }
}
