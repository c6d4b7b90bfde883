//! Read access to the local D1 database that `wrangler dev` writes (SQLite under
//! `<persist>/v3/d1`), to check what was really stored.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, ToSql};

pub struct Db {
    path: PathBuf,
    /// Organizations that deleted a domain with replies: their usage totals keep what the
    /// deleted replies cost, so they may exceed what is still stored.
    deleted_replies: Mutex<Vec<String>>,
}

impl Db {
    /// Finds the D1 database file under a `--persist-to` directory.
    pub fn find(persist: &Path) -> Result<Self, String> {
        let dir = persist.join("v3/d1/miniflare-D1DatabaseObject");
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if name.ends_with(".sqlite") && name != "metadata.sqlite" {
                return Ok(Self { path, deleted_replies: Mutex::new(Vec::new()) });
            }
        }
        Err(format!("no D1 database under {}", dir.display()))
    }

    /// A connection beside the running edge's own, which waits for the edge's writes to end
    /// rather than failing with SQLITE_BUSY.
    pub fn connect(&self) -> Connection {
        let conn = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .unwrap_or_else(|e| panic!("open {}: {e}", self.path.display()));
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("busy timeout on {}: {e}", self.path.display()));
        conn
    }

    /// Marks an organization whose stored replies are about to be deleted (see `deleted_replies`).
    pub fn note_deleted_replies(&self, org: &str) {
        if let Ok(mut d) = self.deleted_replies.lock() {
            d.push(org.to_owned());
        }
    }

    /// A single integer (`count(*)`, a sum).
    pub fn int(&self, sql: &str, params: &[&dyn ToSql]) -> i64 {
        self.connect()
            .query_row(sql, params, |r| r.get::<_, Option<i64>>(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or(0)
    }

    /// Rows of text columns (NULL as "NULL").
    pub fn rows(&self, sql: &str, params: &[&dyn ToSql]) -> Vec<Vec<String>> {
        let conn = self.connect();
        let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let n = stmt.column_count();
        stmt.query_map(params, |r| {
            (0..n)
                .map(|i| {
                    r.get_ref(i).map(|v| match v {
                        rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                        rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                        rusqlite::types::ValueRef::Real(f) => f.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        rusqlite::types::ValueRef::Blob(_) => "<blob>".to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The organization invariants of the design, checked over the whole database: every
    /// conversation's organization is its domain's, every message's is its conversation's, and
    /// for every organization and day usage_daily equals the sum over its stored replies
    /// (requests, tokens and cost). Replies in progress, and those a dead worker left and a read
    /// or the sweep closed, name no model and were never booked.
    pub fn assert_invariants(&self) {
        let orphan_conversations = self.int(
            "SELECT count(*) FROM conversations c LEFT JOIN domains d ON d.id = c.domain_id \
             WHERE d.id IS NULL OR d.organization_id != c.organization_id",
            &[],
        );
        assert_eq!(orphan_conversations, 0, "conversations whose organization differs from their domain's");
        let orphan_messages = self.int(
            "SELECT count(*) FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id \
             WHERE c.id IS NULL OR c.organization_id != m.organization_id",
            &[],
        );
        assert_eq!(orphan_messages, 0, "messages whose organization differs from their conversation's");
        // Per organization and day: the replies stored, and the console's previews, against what
        // usage_daily counted.
        let per_day = "SELECT organization_id AS org, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') AS day, \
             count(*) AS requests, sum(tokens_in) AS tin, sum(tokens_out) AS tout, sum(cost_micros) AS cost \
             FROM (SELECT organization_id, created_at, tokens_in, tokens_out, cost_micros FROM messages \
                   WHERE role = 'assistant' AND model IS NOT NULL \
                   UNION ALL SELECT organization_id, created_at, tokens_in, tokens_out, cost_micros FROM preview_replies) \
             GROUP BY 1, 2";
        let mismatches = self.rows(
            &format!(
                "WITH m AS ({per_day}) \
                 SELECT coalesce(m.org, u.organization_id), coalesce(m.day, u.day), \
                   coalesce(m.requests, 0), coalesce(u.requests, 0), coalesce(m.tin, 0), coalesce(u.tokens_in, 0), \
                   coalesce(m.tout, 0), coalesce(u.tokens_out, 0), coalesce(m.cost, 0), coalesce(u.cost_micros, 0) \
                 FROM m FULL OUTER JOIN usage_daily u ON u.organization_id = m.org AND u.day = m.day \
                 WHERE coalesce(m.requests, 0) != coalesce(u.requests, 0) OR coalesce(m.tin, 0) != coalesce(u.tokens_in, 0) \
                   OR coalesce(m.tout, 0) != coalesce(u.tokens_out, 0) OR coalesce(m.cost, 0) != coalesce(u.cost_micros, 0)"
            ),
            &[],
        );
        let deleted = self.deleted_replies.lock().map(|d| d.clone()).unwrap_or_default();
        let n = |s: &str| s.parse::<i64>().unwrap_or(0);
        let mismatches: Vec<_> = mismatches
            .into_iter()
            .filter(|r| {
                let usage_covers_replies = (2..10).step_by(2).all(|i| n(&r[i + 1]) >= n(&r[i]));
                !(deleted.contains(&r[0]) && usage_covers_replies)
            })
            .collect();
        assert!(
            mismatches.is_empty(),
            "usage_daily differs from the stored replies (org, day, requests, tokens in, tokens out, cost: \
             replies vs usage): {mismatches:?}"
        );
    }
}
