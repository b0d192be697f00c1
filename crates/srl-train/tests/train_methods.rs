//! Every DIR method and combination trains end to end on real data slices: the validation MAE
//! falls, the test metrics are finite, each component's terms are logged, and the checkpoint
//! round-trips with the method's state (FDS statistics, Balanced MSE's σ).

use srl_data::BenchmarkId;
use srl_train::{prepare_data, run, run_folder, Component, MethodName, Profile, RunConfig};

fn data_dir() -> Option<std::path::PathBuf> {
    srl_data::datadir::data_for_test("train_methods", "airfoil")
}

fn config(bench: BenchmarkId, method: &MethodName, epochs: usize) -> RunConfig {
    let mut cfg = RunConfig::preset(bench, method, Profile::Quick).unwrap();
    cfg.optim.epochs = epochs;
    cfg.optim.eval_every = 1;
    cfg.optim.schedule = srl_train::LrSchedule::constant();
    cfg
}

/// The methods of the comparison: every single component and the SRL combinations.
fn methods() -> Vec<MethodName> {
    let mut out = vec![MethodName::vanilla()];
    for c in Component::ALL {
        let single = MethodName::new(&[c]).unwrap();
        if !single.is_network() {
            // Trees: the srl-gbdt crate trains them (tested there and in srl-cli).
            continue;
        }
        out.push(single);
        if let Ok(with_srl) = MethodName::new(&[c, Component::Srl]) {
            if c != Component::Srl {
                out.push(with_srl);
            }
        }
    }
    out.push("rnc+lds".parse().unwrap());
    out.push("lds+fds".parse().unwrap());
    out
}

/// The unweighted term each component logs.
fn logged_term(c: Component) -> Option<&'static str> {
    match c {
        Component::Ranksim => Some("ranksim"),
        Component::Conr => Some("conr"),
        Component::Oe => Some("oe_diversity"),
        Component::Rnc => None, // logged during pre-training only
        Component::Bmc | Component::Bni | Component::Gai => Some("sigma"),
        Component::Dist => Some("dist"),
        _ => None,
    }
}

#[test]
fn every_method_and_srl_combination_trains_on_airfoil() {
    let Some(dir) = data_dir() else { return };
    let bench = prepare_data(
        &config(BenchmarkId::Airfoil, &MethodName::vanilla(), 1).data,
        &dir,
    )
    .unwrap();
    for method in methods() {
        let cfg = config(BenchmarkId::Airfoil, &method, 8);
        let out = tempfile::tempdir().unwrap();
        let mut lines = Vec::new();
        let outcome = run(&cfg.check().unwrap(), &bench, Some(out.path()), &mut |l| {
            lines.push(l.clone())
        })
        .unwrap_or_else(|e| panic!("{method}: {e}"));
        assert_eq!(lines.len(), 8, "{method}");
        let stage2 = if method.contains(Component::Rnc) {
            6
        } else {
            0
        };
        let (first, last) = (&lines[stage2], lines.last().unwrap());
        assert!(
            last.val_mae < first.val_mae,
            "{method}: validation MAE did not fall: {} -> {}",
            first.val_mae,
            last.val_mae
        );
        let test = &outcome.report.test;
        assert!(test.all.mae.is_some_and(f64::is_finite), "{method}");
        assert!(test.few.mae.is_some_and(f64::is_finite), "{method}");
        assert_eq!(outcome.report.method, method);
        for &c in method.components() {
            if let Some(term) = logged_term(c) {
                assert!(
                    last.terms.get(term).is_some_and(|v| v.is_finite()),
                    "{method}: term {term} not logged: {:?}",
                    last.terms
                );
            }
        }
        if method.contains(Component::Rnc) {
            // Pre-training epochs log L_RnC and no regression loss; the kept model is from the
            // second stage (encoder frozen).
            assert!(
                lines[0].terms.get("rnc").is_some_and(|v| v.is_finite()),
                "{method}"
            );
            assert_eq!(lines[0].reg, 0.0, "{method}");
            assert!(
                outcome.report.best_epoch >= 6,
                "{method}: {}",
                outcome.report.best_epoch
            );
        }
        if method.contains(Component::Srl) {
            assert!(last.envelope > 0.0, "{method}");
        } else {
            assert_eq!(last.envelope, 0.0, "{method}");
        }

        // Checkpoint round trip, with the method's state.
        let model = run_folder::read_model(out.path()).unwrap();
        let again = srl_train::evaluate(&model, &bench).unwrap();
        approx::assert_relative_eq!(
            again.all.mae.unwrap(),
            test.all.mae.unwrap(),
            max_relative = 1e-9
        );
        assert_eq!(model.method_state(), outcome.model.method_state());
        let state = model.method_state();
        assert_eq!(
            state.fds.is_some(),
            method.contains(Component::Fds),
            "{method}"
        );
        let bmse = [Component::Bmc, Component::Bni, Component::Gai]
            .iter()
            .any(|&c| method.contains(c));
        assert_eq!(state.balanced_mse_sigma.is_some(), bmse, "{method}");
        if let Some(sigma) = state.balanced_mse_sigma {
            let b = cfg.method.regression.balanced_mse.unwrap();
            if b.sigma_lr > 0.0 {
                assert!(
                    (sigma - b.init_sigma).abs() > 1e-4,
                    "{method}: σ was not trained"
                );
            } else {
                assert_eq!(
                    sigma as f32, b.init_sigma as f32,
                    "{method}: a fixed σ moved"
                );
            }
        }
        if let Some(fds) = &state.fds {
            assert_eq!(fds.last_updated_epoch(), Some(7), "{method}");
        }
        assert_eq!(run_folder::read_config(out.path()).unwrap(), cfg);
        assert_eq!(run_folder::read_log(out.path()).unwrap(), lines);
        assert_eq!(run_folder::read_report(out.path()).unwrap(), outcome.report);
    }
}

#[test]
fn full_batch_operator_learning_runs_the_batch_methods() {
    let Some(dir) = data_dir() else { return };
    let vanilla = config(BenchmarkId::IolSde, &MethodName::vanilla(), 1);
    let bench = prepare_data(&vanilla.data, &dir).unwrap();
    for m in ["ranksim", "conr", "oe", "lds+fds", "bmc", "srl+ranksim"] {
        let method: MethodName = m.parse().unwrap();
        let cfg = config(BenchmarkId::IolSde, &method, 20);
        let mut lines = Vec::new();
        let outcome = run(&cfg.check().unwrap(), &bench, None, &mut |l| {
            lines.push(l.clone())
        })
        .unwrap_or_else(|e| panic!("{m}: {e}"));
        // Early full-batch iterations move the validation MAE little; the training loss falls
        // (Balanced MSE's value is scaled by its growing 2σ², so there σ must move instead).
        let reg: Vec<f64> = lines.iter().map(|l| l.reg).collect();
        if m == "bmc" {
            let sigma: Vec<f64> = lines.iter().map(|l| l.terms["sigma"]).collect();
            assert!(sigma[19] != sigma[0], "{m}: σ {sigma:?}");
        } else {
            assert!(reg[19] < reg[0], "{m}: regression loss {reg:?}");
        }
        assert!(
            outcome.report.test.all.mae.is_some_and(f64::is_finite),
            "{m}"
        );
    }
}

#[test]
fn a_zero_weight_term_changes_nothing_but_is_still_logged() {
    // RankSim with γ = 0 must train exactly like vanilla (its gradient is scaled by γ).
    let Some(dir) = data_dir() else { return };
    let vanilla = config(BenchmarkId::Concrete, &MethodName::vanilla(), 4);
    let bench = prepare_data(&vanilla.data, &dir).unwrap();
    let mut zero = config(BenchmarkId::Concrete, &"ranksim".parse().unwrap(), 4);
    zero.method.ranksim.as_mut().unwrap().weight = 0.0;
    let a = run(&vanilla.check().unwrap(), &bench, None, &mut |_| {}).unwrap();
    let b = run(&zero.check().unwrap(), &bench, None, &mut |_| {}).unwrap();
    assert_eq!(a.test_predictions, b.test_predictions);
    assert!(b.log.last().unwrap().terms.contains_key("ranksim"));
    // With its preset weight it does change the model.
    let on = config(BenchmarkId::Concrete, &"ranksim".parse().unwrap(), 4);
    let c = run(&on.check().unwrap(), &bench, None, &mut |_| {}).unwrap();
    assert_ne!(a.test_predictions, c.test_predictions);
}

#[test]
fn rank_n_contrast_freezes_the_encoder_after_pretraining() {
    let Some(dir) = data_dir() else { return };
    let cfg = config(BenchmarkId::Concrete, &"rnc".parse().unwrap(), 10);
    let bench = prepare_data(&cfg.data, &dir).unwrap();
    let mut trainer = srl_train::Trainer::new(&cfg.check().unwrap(), &bench).unwrap();
    let head = trainer.mlp().head_parameter_range();
    let snapshot = |t: &srl_train::Trainer<'_>| t.mlp().flat_parameters().to_vec();
    let start = snapshot(&trainer);
    for _ in 0..8 {
        trainer.run_epoch().unwrap();
    }
    // Pre-training (8 of 10 epochs) moved the encoder; the head only by weight decay.
    let pretrained = snapshot(&trainer);
    assert_ne!(start[..head.start], pretrained[..head.start]);
    trainer.run_epoch().unwrap();
    trainer.run_epoch().unwrap();
    assert!(trainer.is_done());
    let end = snapshot(&trainer);
    assert_eq!(
        pretrained[..head.start],
        end[..head.start],
        "encoder moved in stage 2"
    );
    assert_ne!(
        pretrained[head.clone()],
        end[head],
        "head did not train in stage 2"
    );
    let outcome = trainer.finish().unwrap();
    assert!(outcome.report.best_epoch >= 8);
}
