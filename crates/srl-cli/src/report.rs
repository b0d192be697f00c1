//! Plain-text tables of shot-group metrics for the terminal.

use srl_data::metrics::{GroupMetrics, ShotMetrics};

/// A small aligned table: one row per group (all, many, medium, few) with count, MAE, MSE, GM.
pub fn metrics_table(m: &ShotMetrics) -> String {
    let mut out = format!(
        "{:<8} {:>6} {:>12} {:>12} {:>12}\n",
        "group", "n", "MAE", "MSE", "GM"
    );
    for (name, g) in [
        ("all", &m.all),
        ("many", &m.many),
        ("medium", &m.medium),
        ("few", &m.few),
    ] {
        out.push_str(&row(name, g));
    }
    out
}

fn row(name: &str, g: &GroupMetrics) -> String {
    let num = |v: Option<f64>| match v {
        Some(v) if g.count > 0 && v.is_finite() => format!("{v:.4}"),
        _ => "-".to_string(),
    };
    let gm = num(g.gm);
    format!(
        "{:<8} {:>6} {:>12} {:>12} {:>12}\n",
        name,
        g.count,
        num(g.mae),
        num(g.mse),
        gm
    )
}

/// A value with `decimals` decimals, or `-` where undefined (`None`, NaN, ±inf).
pub fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".to_string(),
    }
}

/// One line on the test part's relevance metrics (SERA, φ-weighted MAE; `srl_data::relevance`),
/// or why there are none.
pub fn relevance_line(r: &srl_train::RunReport, bench: &srl_data::Benchmark) -> String {
    match (&r.relevance, &bench.relevance_error) {
        (Some(x), _) => format!(
            "relevance (φ from the training targets' box plot): test SERA {}, φ-weighted MAE {}, \
             {} of {} test rows with φ > 0",
            fmt_opt(Some(x.test.sera), 4),
            fmt_opt(x.test.phi_mae, 4),
            x.test.n_relevant,
            x.test.count
        ),
        (None, Some(why)) => format!("relevance metrics: none ({why})"),
        (None, None) => "relevance metrics: none".into(),
    }
}

/// Under a blind-spot or extrapolation protocol, the test metrics on the removed range and on
/// the rest, as rows of [`metrics_table`] with a heading line; empty for the standard protocol.
pub fn protocol_rows(p: Option<&srl_train::ProtocolReport>) -> String {
    let Some(p) = p else {
        return String::new();
    };
    format!(
        "protocol {}: {} training and {} validation rows {}; test split by the removed range:\n{}{}",
        p.protocol,
        p.removed_train,
        p.removed_val,
        if p.moved_to_test {
            "moved to the test part"
        } else {
            "dropped"
        },
        row("removed", &p.test_removed),
        row("kept", &p.test_kept),
    )
}
