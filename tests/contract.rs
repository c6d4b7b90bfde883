//! The API against its own description: Schemathesis (PyPI `schemathesis`, installed by
//! `dev/setup` into `.venv`) generates requests from `/v1/openapi.json`, valid ones and ones the
//! document forbids, sends them to the real edge under `wrangler dev`, and checks every answer
//! against the document: status codes, bodies, headers, and that what the document forbids is
//! refused and what it allows is accepted. The owner's routes are called with an API key, the
//! visitor's from a registered origin.

use e2e::journeys::{self, Journey};
use e2e::App;

fn main() {
    let tests: Vec<(&str, Journey)> =
        vec![("every_route_answers_as_the_openapi_document_says", every_route_answers_as_the_openapi_document_says)];
    journeys::run(tests, &["tenants.sql"], &[], |_| Ok(()))
}

fn every_route_answers_as_the_openapi_document_says(app: &App) {
    // Revoking keys runs last and on its own: revoking the key the run uses (the stateful phase
    // lists the keys and revokes them) would leave every other owner route answering 401.
    schemathesis(app, &app.mint_key("contract").expect("a key"), &["--exclude-operation-id", "revokeApiKey"]);
    schemathesis(app, &app.mint_key("contract").expect("a key"), &["--include-operation-id", "revokeApiKey"]);
}

/// Runs Schemathesis with every check against the edge, as the site owner with `key` and from
/// the demo site's origin, and fails on any disagreement it reports.
fn schemathesis(app: &App, key: &str, only: &[&str]) {
    let schemathesis = e2e::app::root().join(".venv/bin/schemathesis");
    // Its working folder takes the run's cache, which must not steer the next run.
    let scratch = tempfile::tempdir().expect("a temporary folder");
    // Checking a domain's verification fails (422) while its site does not publish the token,
    // which no generated request can make it do; the journeys in admin.rs cover both outcomes.
    // A price list naming one model twice is refused (400), which JSON Schema cannot say: the
    // items differ in their prices. So is a website source whose address is on none of the
    // organization's hostnames, or a document of HTML without text: no schema knows either.
    // The run's own preview messages spend the organization's small monthly budget, after which
    // a valid one is refused (402 `budget_exhausted`) as the document says. A long preview
    // conversation can pass the 256 KB body limit before any field's own limit: refused 413.
    let config = "[[operations]]\ninclude-operation-id = \"verifyDomain\"\n\
                  checks.positive_data_acceptance.expected-statuses = [\"2xx\", 401, 404, 422]\n\
                  [[operations]]\ninclude-operation-id = \"updateOrganization\"\n\
                  checks.positive_data_acceptance.expected-statuses = [\"2xx\", 400, 401, 403]\n\
                  [[operations]]\ninclude-operation-id = \"createKnowledgeSource\"\n\
                  checks.positive_data_acceptance.expected-statuses = [\"2xx\", 400, 401, 403, 404]\n\
                  [[operations]]\ninclude-operation-id = \"previewDomainReply\"\n\
                  checks.positive_data_acceptance.expected-statuses = [\"2xx\", 401, 402, 403, 404, 429]\n\
                  checks.negative_data_rejection.expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, \"5xx\"]\n";
    std::fs::write(scratch.path().join("schemathesis.toml"), config).expect("the run's settings");
    let out = std::process::Command::new(&schemathesis)
        .current_dir(scratch.path())
        .args(["run", &format!("{}/v1/openapi.json", app.edge), "-u", &app.edge])
        .args(["-H", &format!("Authorization: Bearer {key}"), "-H", "Origin: http://localhost:8788"])
        .args(["-c", "all", "--max-examples", "25", "--seed", "1", "--no-color"])
        .args(only)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (dev/setup installs it)", schemathesis.display()));
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{report}");
    assert!(out.status.success(), "Schemathesis found the API and its document disagreeing (above)");
    // The visitor's conversation routes need a conversation's token, which a run cannot have
    // (the journeys cover them); every owner route must have been reached with the key.
    let unauthenticated = report
        .split("401 Unauthorized (")
        .skip(1)
        .flat_map(|list| list.lines().skip(1).take_while(|l| l.trim_start().starts_with("- ")))
        .filter(|l| l.contains(" /v1/admin/"))
        .count();
    assert_eq!(unauthenticated, 0, "owner routes were tested only without a valid key (above)");
}
