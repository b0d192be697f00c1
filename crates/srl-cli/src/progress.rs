//! Training progress on stderr: an indicatif bar on a terminal, plain log lines otherwise.
//!
//! When stderr is a terminal, one bar counts epochs and shows the latest validation MAE and
//! losses. When it is not (a pipe, a log file, CI, `cargo xtask reproduce`), every epoch log
//! becomes one line, e.g.
//! `epoch 3/25 step 48 lr 2.9e-3 loss 0.5123 env 0.8610 homo 0.0213 con 2.3010 val_mae 4.5670 cov 0.410 speed_cv 0.321 (0.05 s)`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use srl_train::EpochLog;
use std::io::{IsTerminal, Write};

/// Reports epoch logs to stderr, as a bar or as lines.
pub struct Progress {
    bar: Option<ProgressBar>,
    show_srl_terms: bool,
}

impl Progress {
    /// A reporter that draws a bar if stderr is a terminal, else prints lines.
    ///
    /// `show_srl_terms` adds the enveloping, homogeneity and contrastive terms (SRL runs).
    pub fn for_stderr(show_srl_terms: bool) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} epochs  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            show_srl_terms,
        }
    }

    /// Records one epoch log.
    pub fn observe(&mut self, log: &EpochLog) {
        match &self.bar {
            Some(bar) => {
                if bar.length() != Some(log.total_epochs as u64) {
                    bar.set_length(log.total_epochs as u64);
                }
                bar.set_position(shown_epoch(log) as u64);
                bar.set_message(short_message(log, self.show_srl_terms));
            }
            None => {
                let mut err = std::io::stderr().lock();
                // A closed stderr must not abort training; the run folder still gets written.
                let _ = writeln!(err, "{}", log_line(log, self.show_srl_terms));
            }
        }
    }

    /// Removes the bar (if any) so that the final report prints on a clean line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Prints a status line without tearing the bar.
    pub fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
        }
    }
}

/// The message next to the bar: validation MAE and the loss terms.
fn short_message(log: &EpochLog, srl: bool) -> String {
    let mut s = format!(
        "val MAE {}  loss {:.4}",
        fmt_val(log.val_mae),
        log.train_loss
    );
    if srl {
        s.push_str(&format!(
            "  env {:.3} homo {:.3} con {:.3}",
            log.envelope, log.homogeneity, log.contrastive
        ));
    }
    s
}

/// One plain log line per epoch (non-terminal stderr).
pub fn log_line(log: &EpochLog, srl: bool) -> String {
    let mut s = format!(
        "epoch {}/{} step {} lr {:.2e} loss {:.4}",
        shown_epoch(log),
        log.total_epochs,
        log.step,
        log.lr,
        log.train_loss
    );
    if srl {
        s.push_str(&format!(
            " reg {:.4} env {:.4} homo {:.4} con {:.4}",
            log.reg, log.envelope, log.homogeneity, log.contrastive
        ));
    }
    s.push_str(&format!(
        " val_mae {} cov {} soft_cov {} speed_cv {} ({:.2} s)",
        fmt_val(log.val_mae),
        crate::report::fmt_opt(log.coverage, 3),
        crate::report::fmt_opt(log.soft_coverage, 3),
        crate::report::fmt_opt(log.speed_cv, 3),
        log.seconds
    ));
    s
}

/// The 1-based epoch shown to the user (the log counts from 0).
fn shown_epoch(log: &EpochLog) -> usize {
    (log.epoch + 1).min(log.total_epochs.max(1))
}

/// Validation MAE, or `-` on epochs without validation (NaN).
fn fmt_val(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        "-".to_string()
    }
}
