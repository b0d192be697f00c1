//! AgeDB-DIR and STS-B-DIR facts (docs/protocols.md; the datasets' SOURCE.md) from the shared
//! data.

use srl_data::agedb::{load_agedb, read_agedb, SplitPart};
use srl_data::metrics::{
    evaluate, shot_of_bins, stsb_bin, stsb_shot_bins, ShotRule, STSB_NUM_BINS,
};
use srl_data::stsb::{load_stsb, StsbCopy};
use srl_data::{datadir::data_for_test, Shot};
use std::collections::BTreeSet;

fn counts(shots: &[Shot]) -> [usize; 3] {
    let c = |s| shots.iter().filter(|&&x| x == s).count();
    [c(Shot::Many), c(Shot::Medium), c(Shot::Few)]
}

#[test]
fn agedb_shot_groups_match_baselines() {
    let Some(dir) = data_for_test("agedb_shot_groups_match_baselines", "agedb-dir/agedb.csv")
    else {
        return;
    };
    let labels = load_agedb(&dir).unwrap();
    assert_eq!(
        labels,
        read_agedb(&dir.join("agedb-dir/agedb.csv")).unwrap()
    );
    let train = labels.ages(SplitPart::Train);
    let val = labels.ages(SplitPart::Val);
    let test = labels.ages(SplitPart::Test);
    assert_eq!((train.len(), val.len(), test.len()), (12208, 2140, 2140));
    let hist = labels.histogram(SplitPart::Train);
    assert_eq!((hist[35], hist[1], hist[0], hist[2]), (353, 1, 0, 0));

    let test_bins: Vec<usize> = test.iter().map(|&a| a as usize).collect();
    let per_age = shot_of_bins(&ShotRule::dir_default(), &hist, &test_bins);
    // distinct test ages per group
    let distinct: BTreeSet<usize> = test_bins.iter().copied().collect();
    let ages_in = |s| distinct.iter().filter(|&&a| per_age[a] == s).count();
    assert_eq!(distinct.len(), 92);
    assert_eq!(
        [
            ages_in(Shot::Many),
            ages_in(Shot::Medium),
            ages_in(Shot::Few)
        ],
        [51, 16, 25]
    );
    let shots = srl_data::metrics::shots_of_samples(&per_age, &test_bins);
    assert_eq!(counts(&shots), [1530, 448, 162]);
    let medium: Vec<usize> = distinct
        .iter()
        .copied()
        .filter(|&a| per_age[a] == Shot::Medium)
        .collect();
    assert_eq!(
        medium,
        vec![17, 18, 19, 69, 71, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 85]
    );

    // Evaluating a constant predictor: group sizes carry through, metrics finite.
    let y: Vec<f64> = test.iter().map(|&a| a as f64).collect();
    let pred = vec![40.0; y.len()];
    let m = evaluate(&pred, &y, &shots).unwrap();
    assert_eq!(
        [m.many.count, m.medium.count, m.few.count, m.all.count],
        [1530, 448, 162, 2140]
    );
    assert_eq!(m.all.zero_errors, 30); // the 30 test images aged 40
    assert!(m.all.gm.unwrap() > 0.0 && m.all.pearson.is_none());

    // agedb_label_hist.csv agrees with the counts and groups.
    let text = std::fs::read_to_string(dir.join("agedb-dir/agedb_label_hist.csv")).unwrap();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let age: usize = f[0].parse().unwrap();
        assert_eq!(f[1].parse::<usize>().unwrap(), hist[age], "age {age}");
        let want = match f[4] {
            "many" => Shot::Many,
            "medium" => Shot::Medium,
            _ => Shot::Few,
        };
        assert_eq!(per_age[age], want, "age {age}");
    }
}

fn bin_counts(scores: impl Iterator<Item = f64>) -> Vec<usize> {
    let mut c = vec![0; STSB_NUM_BINS];
    for s in scores {
        c[stsb_bin(s)] += 1;
    }
    c
}

#[test]
fn stsb_sizes_and_fixed_shot_groups() {
    let Some(dir) = data_for_test("stsb_sizes_and_fixed_shot_groups", "stsb-dir/train_new.tsv")
    else {
        return;
    };
    let srl = load_stsb(&dir, StsbCopy::Srl).unwrap();
    let off = load_stsb(&dir, StsbCopy::DirOfficial).unwrap();
    for d in [&srl, &off] {
        assert_eq!(
            (d.train.len(), d.dev.len(), d.test.len()),
            (5249, 1000, 1000)
        );
        assert!(d
            .train
            .iter()
            .chain(&d.dev)
            .chain(&d.test)
            .all(|p| (0.0..=5.0).contains(&p.score)));
    }
    // quoting is off: sentences with `"` survive verbatim.
    assert!(srl.train.iter().any(|p| p.sentence1.contains('"')));

    let per_bin = shot_of_bins(&stsb_shot_bins(), &[], &[]);
    assert_eq!(per_bin.len(), 0);
    let per_bin = shot_of_bins(&stsb_shot_bins(), &vec![0; STSB_NUM_BINS], &[]);
    let shots_of = |pairs: &[srl_data::stsb::StsbPair]| -> [usize; 3] {
        let bins: Vec<usize> = pairs.iter().map(|p| stsb_bin(p.score)).collect();
        counts(&srl_data::metrics::shots_of_samples(&per_bin, &bins))
    };
    assert_eq!(shots_of(&srl.test), [775, 175, 50]);
    assert_eq!(shots_of(&off.test), [756, 170, 74]);
    assert_eq!(shots_of(&srl.dev), [764, 177, 59]);
    assert_eq!(shots_of(&off.dev), [758, 177, 65]);

    // Per-bin counts of every split agree with stsb_label_bins.csv.
    let cols = [
        bin_counts(srl.train.iter().map(|p| p.score)),
        bin_counts(srl.dev.iter().map(|p| p.score)),
        bin_counts(srl.test.iter().map(|p| p.score)),
        bin_counts(off.train.iter().map(|p| p.score)),
        bin_counts(off.dev.iter().map(|p| p.score)),
        bin_counts(off.test.iter().map(|p| p.score)),
    ];
    let text = std::fs::read_to_string(dir.join("stsb-dir/stsb_label_bins.csv")).unwrap();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let b: usize = f[0].parse().unwrap();
        for (k, col) in cols.iter().enumerate() {
            assert_eq!(
                f[3 + k].parse::<usize>().unwrap(),
                col[b],
                "bin {b} column {k}"
            );
        }
        let want = match f[9] {
            "many" => Shot::Many,
            "medium" => Shot::Medium,
            _ => Shot::Few,
        };
        assert_eq!(per_bin[b], want, "bin {b}");
    }
    // SOURCE.md's SRL train counts per 0.1 bin.
    assert_eq!(&cols[0][..6], &[428, 2, 98, 2, 98, 15]);
    assert_eq!(cols[0][49], 264);
}
