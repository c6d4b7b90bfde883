//! Lists written out for spreadsheets: CSV with RFC 4180 quoting, where a cell that a
//! spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) is prefixed with `'`, as OWASP advises: what visitors typed must not become code in
//! the owner's spreadsheet.

/// One CSV document: the header row, then the rows, each line ended by CRLF.
pub fn csv<R: AsRef<[String]>>(header: &[&str], rows: impl IntoIterator<Item = R>) -> String {
    let mut out = String::new();
    line(&mut out, header.iter().copied());
    for row in rows {
        line(&mut out, row.as_ref().iter().map(String::as_str));
    }
    out
}

fn line<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    let cells: Vec<String> = cells.map(cell).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// One cell, defused and quoted where needed.
pub fn cell(raw: &str) -> String {
    let defused = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_owned() };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_defused_and_commas_quoted() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(cell("+1 555"), "'+1 555");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Ada, Countess"), "\"Ada, Countess\"");
        assert_eq!(cell("ada@example.com"), "ada@example.com");
        assert_eq!(
            csv(&["email", "name"], [vec!["a@b.co".to_owned(), "two\nlines".to_owned()]]),
            "email,name\r\na@b.co,\"two\nlines\"\r\n"
        );
    }

    proptest! {
        /// Whatever a visitor typed, its cell never starts a formula, and unquoting gives back
        /// exactly what was typed (after the defusing quote).
        #[test]
        fn no_cell_is_a_formula(raw in ".*") {
            let c = cell(&raw);
            let inner = if let Some(q) = c.strip_prefix('"') {
                q.strip_suffix('"').expect("closed quote").replace("\"\"", "\"")
            } else {
                c.clone()
            };
            prop_assert!(!inner.starts_with(['=', '+', '-', '@', '\t', '\r']));
            prop_assert_eq!(inner.strip_prefix('\'').filter(|_| raw.starts_with(['=', '+', '-', '@', '\t', '\r'])).unwrap_or(&inner), raw.as_str());
        }
    }
}
