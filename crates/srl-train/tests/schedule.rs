//! Learning-rate schedules.

use approx::assert_relative_eq;
use proptest::prelude::*;
use srl_train::{LrDecay, LrSchedule, TrainError};

#[test]
fn cosine_values_at_start_middle_end_and_after() {
    let s = LrSchedule::new(LrDecay::Cosine {
        total_steps: 200,
        min_lr: 0.01,
    });
    assert_relative_eq!(s.lr_at(0.1, 0), 0.1, epsilon = 1e-15);
    assert_relative_eq!(s.lr_at(0.1, 100), 0.055, epsilon = 1e-15);
    assert_relative_eq!(s.lr_at(0.1, 200), 0.01, epsilon = 1e-15);
    assert_relative_eq!(s.lr_at(0.1, 500), 0.01, epsilon = 1e-15);
    // A quarter of the way: (1 + cos(π/4))/2.
    let quarter = 0.01 + 0.09 * (1.0 + std::f64::consts::FRAC_1_SQRT_2) / 2.0;
    assert_relative_eq!(s.lr_at(0.1, 50), quarter, epsilon = 1e-15);
}

#[test]
fn step_decay_and_constant() {
    let s = LrSchedule::new(LrDecay::Step {
        step_size: 10,
        gamma: 0.5,
    });
    assert_eq!(s.lr_at(1.0, 0), 1.0);
    assert_eq!(s.lr_at(1.0, 9), 1.0);
    assert_eq!(s.lr_at(1.0, 10), 0.5);
    assert_eq!(s.lr_at(1.0, 35), 0.125);
    assert_eq!(LrSchedule::constant().lr_at(0.3, 12345), 0.3);
}

#[test]
fn warmup_ramps_then_hands_over_to_the_decay() {
    let s = LrSchedule::new(LrDecay::Cosine {
        total_steps: 10,
        min_lr: 0.0,
    })
    .with_warmup(5);
    let ramp: Vec<f64> = (0..5).map(|t| s.lr_at(1.0, t)).collect();
    assert_eq!(ramp, vec![0.2, 0.4, 0.6, 0.8, 1.0]);
    assert_eq!(s.lr_at(1.0, 5), 1.0); // decay clock starts at 0
    assert_relative_eq!(s.lr_at(1.0, 10), 0.5, epsilon = 1e-15);
    assert_relative_eq!(s.lr_at(1.0, 15), 0.0, epsilon = 1e-15);
}

#[test]
fn invalid_schedules_are_rejected() {
    let cases = [
        (
            LrSchedule::new(LrDecay::Step {
                step_size: 0,
                gamma: 0.5,
            }),
            "step_size",
        ),
        (
            LrSchedule::new(LrDecay::Step {
                step_size: 3,
                gamma: 0.0,
            }),
            "gamma",
        ),
        (
            LrSchedule::new(LrDecay::Cosine {
                total_steps: 0,
                min_lr: 0.0,
            }),
            "total_steps",
        ),
        (
            LrSchedule::new(LrDecay::Cosine {
                total_steps: 5,
                min_lr: 0.2,
            }),
            "min_lr",
        ),
    ];
    for (s, name) in cases {
        match s.validate(0.1) {
            Err(TrainError::InvalidConfig { field, .. }) => assert_eq!(field, name),
            other => panic!("{s:?}: {other:?}"),
        }
    }
    assert!(LrSchedule::constant().validate(f64::NAN).is_err());
    assert!(LrSchedule::new(LrDecay::Cosine {
        total_steps: 5,
        min_lr: 0.1
    })
    .validate(0.1)
    .is_ok());
}

#[test]
fn schedule_serialises() {
    let s: LrSchedule =
        toml::from_str("warmup_steps = 3\n[decay]\nkind = \"cosine\"\ntotal_steps = 100\n")
            .unwrap();
    assert_eq!(
        s,
        LrSchedule::new(LrDecay::Cosine {
            total_steps: 100,
            min_lr: 0.0
        })
        .with_warmup(3)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn cosine_is_monotone_and_bounded(total in 1usize..500, base in 1e-5f64..1.0, frac in 0.0f64..1.0) {
        let min_lr = base * frac;
        let s = LrSchedule::new(LrDecay::Cosine { total_steps: total, min_lr });
        let mut prev = f64::INFINITY;
        for t in 0..=total + 3 {
            let lr = s.lr_at(base, t);
            prop_assert!(lr <= prev + 1e-15);
            prop_assert!(lr >= min_lr - 1e-15 && lr <= base + 1e-15);
            prev = lr;
        }
    }
}
