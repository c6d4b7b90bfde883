//! Running a suite of journeys against one edge: `wrangler dev` started once with the given
//! fixtures, each journey a test, the organization invariants checked after every one, and the
//! edge's log printed when something failed.

use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::App;

pub type Journey = fn(&App);

/// Runs `journeys` and exits with the result. The edge gets `fixtures` and the test variables
/// changed by `env`; `prepare` runs once, after the edge is up and before the first journey.
pub fn run(
    journeys: Vec<(&'static str, Journey)>,
    fixtures: &[&str],
    env: &[(&str, &str)],
    prepare: fn(&App) -> Result<(), String>,
) -> ! {
    let args = Arguments::from_args();
    let app = if args.list {
        None
    } else {
        match App::spawn_with_env(fixtures, env).and_then(|app| prepare(&app).map(|()| app)) {
            Ok(app) => Some(Arc::new(app)),
            Err(e) => {
                eprintln!("could not start the edge: {e}");
                std::process::exit(1);
            }
        }
    };
    let trials = journeys
        .into_iter()
        .map(|(name, journey)| {
            let app = app.clone();
            Trial::test(name, move || {
                let app = app.as_deref().ok_or_else(|| Failed::from("no app"))?;
                journey(app);
                // The organization invariants hold after every scenario.
                app.db.assert_invariants();
                Ok(())
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if conclusion.has_failed() {
        if let Some(app) = &app {
            eprintln!("--- wrangler dev log ---\n{}", app.wrangler_log());
        }
    }
    // Stops wrangler before exiting, which skips destructors.
    drop(app);
    conclusion.exit();
}

/// A name no other journey of this run uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}
