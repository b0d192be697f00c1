//! SRL objective forward + backward (f32) against the bare enveloping GEMM of the same shape.
//!
//! Throughput is set to 2·K·N·d "elements" per iteration, so criterion's elem/s reads as the
//! GFLOP/s of the enveloping product (K×d · d×N); the ratio objective/GEMM shows what the rest
//! of the method costs on top of its hot spot. `peak/fma_f32` measures the core's limit: 12
//! independent 8-lane fused multiply-add chains held in registers (AVX2 + FMA), whose elem/s is
//! the single-core f32 peak in GFLOP/s. Everything runs on one thread (`MATMUL_NUM_THREADS=1`,
//! set before the first product).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{linalg::general_mat_mul, Array2};
use srl_losses::{SrlConfig, SrlObjective};
use srl_surrogate::{Surrogate, SurrogateConfig};
use std::time::Duration;

fn gaussian(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    srl_testkit::random::gaussian_matrix(rows, cols, seed)
}

/// Iterations of the peak loop per call.
const PEAK_ITERS: usize = 100_000;
/// Independent accumulators of the peak loop (enough to cover FMA latency × ports).
const PEAK_CHAINS: usize = 12;

/// `PEAK_ITERS` rounds of `PEAK_CHAINS` 8-lane FMAs on registers; returns a checksum so the
/// work cannot be optimised away. `None` without AVX2 + FMA.
fn peak_fma(x: f32) -> Option<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: AVX2 and FMA are present, checked just above.
        return Some(unsafe { peak_fma_avx2(x) });
    }
    let _ = x;
    None
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn peak_fma_avx2(x: f32) -> f32 {
    use std::arch::x86_64::{_mm256_add_ps, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps};
    let a = _mm256_set1_ps(1.0 - 1e-7);
    let b = _mm256_set1_ps(x);
    let mut acc = [_mm256_set1_ps(0.5); PEAK_CHAINS];
    for _ in 0..PEAK_ITERS {
        for v in acc.iter_mut() {
            *v = _mm256_fmadd_ps(*v, a, b);
        }
    }
    let mut sum = acc[0];
    for v in &acc[1..] {
        sum = _mm256_add_ps(sum, *v);
    }
    let mut out = [0.0_f32; 8];
    // SAFETY: `out` holds 8 floats.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
    out.iter().sum()
}

fn bench(c: &mut Criterion) {
    // Edition 2021: single-threaded here, before any product starts.
    std::env::set_var("MATMUL_NUM_THREADS", "1");
    std::env::set_var("RAYON_NUM_THREADS", "1");
    if peak_fma(1e-3).is_some() {
        let mut group = c.benchmark_group("peak");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Elements(
                (2 * 8 * PEAK_CHAINS * PEAK_ITERS) as u64,
            ));
        group.bench_function("fma_f32", |b| {
            b.iter(|| peak_fma(criterion::black_box(1e-3)))
        });
        group.finish();
    }
    let mut group = c.benchmark_group("srl_objective_f32");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let (m, d) = (256usize, 128usize);
    for &(k, n) in &[(100usize, 2000usize), (1000, 10000)] {
        let label = format!("M{m}_d{d}_K{k}_N{n}");
        group.throughput(Throughput::Elements((2 * k * n * d) as u64));

        // a surrogate whose every bin has a memory row
        let mut surrogate = Surrogate::<f32>::new(SurrogateConfig::new(k, d)).unwrap();
        let mem = srl_geometry::normalize_rows(gaussian(k, d, 1).view()).0;
        let all_bins: Vec<usize> = (0..k).collect();
        surrogate.accumulate(mem.view(), &all_bins).unwrap();
        surrogate.end_epoch().unwrap();

        let centres: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let mut config = SrlConfig::authors_code(k, d, centres);
        config.params.num_points = n;
        let mut srl = SrlObjective::<f32>::new(config).unwrap();
        let h = gaussian(m, d, 2);
        let bins: Vec<usize> = (0..m).map(|i| (i * 37) % k).collect();
        let mut grad_h = Array2::zeros((m, d));
        group.bench_function(BenchmarkId::new("objective_fwd_bwd", &label), |b| {
            b.iter(|| {
                srl.evaluate_into(h.view(), &bins, &surrogate, grad_h.view_mut())
                    .unwrap()
            })
        });

        // evaluate once so the table is the batch's completed table even when the objective
        // bench is filtered out
        srl.evaluate_into(h.view(), &bins, &surrogate, grad_h.view_mut())
            .unwrap();
        let points = srl.envelope().points().to_owned();
        let table = srl.last_table().to_owned();
        let mut envelope = srl_losses::EnvelopingLoss::new(points.clone()).unwrap();
        let mut grad_table = Array2::<f32>::zeros((k, d));
        group.bench_function(BenchmarkId::new("enveloping_fwd_bwd", &label), |b| {
            b.iter(|| {
                envelope
                    .forward_backward(table.view(), grad_table.view_mut(), 1.0)
                    .unwrap()
            })
        });
        let mut scores = Array2::<f32>::zeros((n, k));
        group.bench_function(BenchmarkId::new("gemm_only", &label), |b| {
            b.iter(|| general_mat_mul(1.0, &points, &table.t(), 0.0, &mut scores))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
