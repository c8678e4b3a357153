//! The regression gate at the command line (the `ci` crate judges, the
//! `reports` crate renders): `harness compare BASE NEW`, and what `harness
//! all` and `suite` do with `--baseline`, `--save-baseline` and `--export`.
//!
//! Everything a run's gate needs is checked before the run starts (a
//! missing baseline, an unreadable noise profile, an unknown export format
//! are bad input, exit status 2, not a surprise after ten minutes of
//! measuring). The baseline is read before the run, so `--baseline main
//! --save-baseline main` compares with the old one and then replaces it.

use crate::terminal::{say, say_part};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ci::baseline::{STORE_VARIABLE, Store};
use ci::export::{Format, export};
use ci::{Comparison, NoiseProfile, Settings, Side};
use scenarios::writer::JSON_NAME;

use crate::cli::{CompareArgs, GateArgs, JudgeArgs};
use crate::error::BadInput;
use crate::paths::target_dir;
use crate::report;

/// The comparison page `all --baseline` writes beside the results.
pub const COMPARISON_PAGE: &str = "comparison.html";

/// A run's gate, checked and ready.
#[derive(Debug)]
pub struct RunGate {
    store: Store,
    baseline: Option<Side>,
    save_as: Option<String>,
    settings: Settings,
    markdown: Option<PathBuf>,
    exports: Vec<(Format, PathBuf)>,
}

/// The baseline store: `$RINGSIDE_BASELINES`, else `target/ringside/baselines`.
pub fn store() -> Store {
    match std::env::var_os(STORE_VARIABLE) {
        Some(dir) if !dir.is_empty() => Store::new(dir),
        _ => Store::new(target_dir().join("ringside").join("baselines")),
    }
}

impl RunGate {
    /// Check a run's gate arguments before anything runs.
    pub fn prepare(args: &GateArgs) -> Result<RunGate> {
        let store = store();
        if let Some(name) = &args.save_baseline {
            Store::check_name(name).map_err(|e| BadInput(e.to_string()))?;
        }
        let judging = args.judge.threshold.is_some()
            || args.judge.noise.is_some()
            || args.judge.markdown.is_some()
            || args.judge.accept_losses;
        if judging && args.baseline.is_none() {
            return Err(BadInput(
                "--threshold, --noise, --markdown and --accept-losses judge against a baseline: add --baseline NAME"
                    .into(),
            )
            .into());
        }
        let baseline = match &args.baseline {
            Some(name) => Some(store.load(name).map_err(|e| BadInput(e.to_string()))?),
            None => None,
        };
        Ok(RunGate {
            store,
            baseline,
            save_as: args.save_baseline.clone(),
            settings: settings(&args.judge)?,
            markdown: args.judge.markdown.clone(),
            exports: exports(&args.export)?,
        })
    }

    /// After a run wrote `dir/results.json` and its writers read it back
    /// as `written` (labelled by its folder, as [`Side::load`] labels a
    /// results file): export it, compare it with the baseline, save it as
    /// one (a copy of the file). True unless the comparison failed the gate.
    pub fn finish(&self, dir: &Path, written: reports::Input) -> Result<bool> {
        let json = dir.join(JSON_NAME);
        let run = Side::from_runs(written.label, vec![written.results]);
        write_exports(&self.exports, &run)?;
        let mut passes = true;
        if let Some(base) = &self.baseline {
            let comparison = Comparison::new(base, &run, &self.settings);
            say!("\n{}", reports::comparison::terminal(&comparison, false).trim_end());
            let page = dir.join(COMPARISON_PAGE);
            report::write_page(&reports::comparison::html(&comparison), &page)?;
            say!("comparison: {}", page.display());
            write_markdown(self.markdown.as_deref(), &comparison)?;
            passes = comparison.passes();
        }
        if let Some(name) = &self.save_as {
            let saved = self.store.save(name, &json)?;
            say!("baseline {name} saved: {}", saved.display());
        }
        Ok(passes)
    }
}

/// `harness compare`: print the comparison, write what was asked for;
/// true unless something regressed or failed in new.
pub fn compare(args: &CompareArgs) -> Result<bool> {
    let settings = settings(&args.judge)?;
    let exports = exports(&args.export)?;
    let base = Side::load(&args.base).map_err(|e| BadInput(e.to_string()))?;
    let new = Side::load(&args.new).map_err(|e| BadInput(e.to_string()))?;
    let save_noise = args.save_noise.as_deref();
    let comparison = if args.aa {
        let (comparison, profile) = Comparison::aa(&base, &new, &settings);
        if let Some(path) = save_noise {
            // The error names the path.
            profile.write(path).context("cannot write the noise profile")?;
        }
        comparison
    } else {
        Comparison::new(&base, &new, &settings)
    };
    say_part!("{}", reports::comparison::terminal(&comparison, args.all_rows));
    if let Some(path) = save_noise {
        say!("noise profile: {}", path.display());
    }
    if let Some(path) = &args.report {
        report::write_page(&reports::comparison::html(&comparison), path)?;
        say!("comparison: {}", path.display());
    }
    write_markdown(args.judge.markdown.as_deref(), &comparison)?;
    write_exports(&exports, &new)?;
    Ok(args.aa || comparison.passes())
}

fn settings(judge: &JudgeArgs) -> Result<Settings> {
    let noise = match &judge.noise {
        Some(path) => Some(NoiseProfile::read(path).map_err(|e| BadInput(e.to_string()))?),
        None => None,
    };
    Ok(Settings {
        threshold: judge.threshold.unwrap_or(ci::compare::DEFAULT_THRESHOLD),
        noise,
        accept_losses: judge.accept_losses,
        ..Settings::default()
    })
}

/// `--export FORMAT FILE` pairs, checked.
fn exports(args: &[String]) -> Result<Vec<(Format, PathBuf)>> {
    args.chunks(2)
        .map(|pair| match pair {
            [format, file] => Ok((format.parse::<Format>().map_err(BadInput)?, PathBuf::from(file))),
            _ => Err(BadInput("--export takes a format and a file".into()).into()),
        })
        .collect()
}

fn write_exports(exports: &[(Format, PathBuf)], side: &Side) -> Result<()> {
    for (format, path) in exports {
        for file in export(*format, side, path).with_context(|| format!("exporting {}", format.name()))? {
            say!("{}: {}", format.name(), file.display());
        }
    }
    Ok(())
}

fn write_markdown(path: Option<&Path>, comparison: &Comparison) -> Result<()> {
    if let Some(path) = path {
        scenarios::files::replace(path, reports::comparison::markdown(comparison).as_bytes())
            .context("cannot write the markdown summary")?;
        say!("markdown: {}", path.display());
    }
    Ok(())
}
