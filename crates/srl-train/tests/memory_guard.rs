//! The memory guard refuses absurd runs but none of the real ones: every method of the
//! comparison, at both profiles, on every benchmark whose data is here, estimates below the
//! default limit, while more SRL points or bins than memory allows are refused before any
//! allocation.

use srl_data::BenchmarkId;
use srl_train::{prepare_data, MemoryEstimate, MethodName, Profile, RunConfig, Trainer};

#[test]
fn every_preset_fits_and_absurd_settings_are_refused() {
    let Some(dir) = srl_data::datadir::data_for_test("memory_guard", "") else {
        return;
    };
    let methods = srl_train::compare::DEFAULT_SWEEP_METHODS;
    let mut checked = 0;
    for b in BenchmarkId::ALL {
        let probe = RunConfig::preset(b, &MethodName::vanilla(), Profile::Full).unwrap();
        let Ok(bench) = prepare_data(&probe.data, &dir) else {
            eprintln!("{b}: data not here, skipped");
            continue;
        };
        let mut largest = 0.0f64;
        for profile in [Profile::Quick, Profile::Full] {
            for m in methods {
                let method: MethodName = m.parse().unwrap();
                let cfg = RunConfig::preset(b, &method, profile).unwrap();
                let e = MemoryEstimate::of(&cfg, &bench);
                assert!(
                    e.total() < srl_train::DEFAULT_MEMORY_LIMIT,
                    "{b} {m} {profile:?}: {e:?}"
                );
                largest = largest.max(e.total());
                checked += 1;
            }
        }
        eprintln!(
            "{b}: largest estimate {:.1} MiB",
            largest / (1u64 << 20) as f64
        );

        // Two hundred million sphere points are refused by Trainer::new, naming the limit.
        let mut huge = RunConfig::preset(b, &"srl".parse().unwrap(), Profile::Quick).unwrap();
        huge.method.srl.as_mut().unwrap().num_points = 200_000_000;
        let err = Trainer::new(&huge.check().unwrap(), &bench)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("above the limit"), "{err}");
        // … and accepted under a limit raised far enough (the estimate only, nothing is built).
        assert!(MemoryEstimate::of(&huge, &bench).check(1e15).is_ok());
    }
    assert!(checked > 0, "no benchmark data found");
}
