//! Leads: left by visitors, listed by owners.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::leads::LeadView;
use shared::Email;

use super::{bind, changed, int, opt_text, text, Cursor, OrgStore, Query};
use crate::clock::now_ms;
use crate::error::EdgeResult;
use crate::ids::{ConversationId, DomainId, LeadId};

/// A lead's columns, which are its view (`LeadView`) column for column.
pub(super) const LEAD_VIEW: &str =
    "SELECT id, domain_id, conversation_id, email, name, message, status, created_at FROM leads";

/// How many leads may be stored: per domain since a moment, and per conversation ever.
pub struct LeadLimits {
    pub since_ms: i64,
    pub per_domain: u32,
    pub per_conversation: u32,
}

/// A lead as the visitor left it, already parsed.
pub struct NewLead<'a> {
    pub email: &'a Email,
    pub name: Option<&'a str>,
    pub message: Option<&'a str>,
}

impl OrgStore {
    /// Stores the lead unless the domain has had `per_domain` leads since `since_ms`, or the
    /// conversation `per_conversation` leads. Check and insert are one statement, so requests
    /// racing each other cannot all slip under a limit. `None` when a limit refused it.
    pub async fn add_lead(
        &self,
        domain: DomainId,
        conversation: Option<ConversationId>,
        lead: &NewLead<'_>,
        limits: LeadLimits,
    ) -> EdgeResult<Option<LeadId>> {
        let id = LeadId::generate();
        let result = bind(
            &self.db,
            "INSERT INTO leads (id, organization_id, domain_id, conversation_id, email, name, message, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 \
             WHERE (SELECT count(*) FROM leads WHERE organization_id = ?2 AND domain_id = ?3 AND created_at >= ?9) < ?10 \
               AND (?4 IS NULL OR (SELECT count(*) FROM leads WHERE organization_id = ?2 AND conversation_id = ?4) < ?11)",
            &[
                text(&id.to_string()),
                self.org(),
                text(&domain.to_string()),
                opt_text(conversation.map(|c| c.to_string()).as_deref()),
                text(lead.email.as_str()),
                opt_text(lead.name),
                opt_text(lead.message),
                int(now_ms()),
                int(limits.since_ms),
                int(i64::from(limits.per_domain)),
                int(i64::from(limits.per_conversation)),
            ],
        )?
        .run()
        .await?;
        let stored = changed(&result)?;
        Ok(stored.then_some(id))
    }

    /// Leads left since `since_ms` on the domain, and in the conversation if one is given.
    pub async fn recent_leads(
        &self,
        domain: DomainId,
        conversation: Option<ConversationId>,
        since_ms: i64,
    ) -> EdgeResult<(u32, u32)> {
        #[derive(Deserialize)]
        struct Counts {
            on_domain: u32,
            in_conversation: u32,
        }
        let counts = bind(
            &self.db,
            "SELECT \
               (SELECT count(*) FROM leads WHERE organization_id = ?1 AND domain_id = ?2 AND created_at >= ?3) AS on_domain, \
               (SELECT count(*) FROM leads WHERE organization_id = ?1 AND conversation_id = ?4) AS in_conversation",
            &[self.org(), text(&domain.to_string()), int(since_ms), opt_text(conversation.map(|c| c.to_string()).as_deref())],
        )?
        .first::<Counts>(None)
        .await?;
        Ok(counts.map_or((0, 0), |c| (c.on_domain, c.in_conversation)))
    }

    /// A page of leads, newest first, left within `[since, until)` when given, and the cursor
    /// of the next page.
    pub async fn leads(
        &self,
        domain: Option<DomainId>,
        (since_ms, until_ms): (Option<i64>, Option<i64>),
        after: Option<&Cursor>,
        limit: u32,
    ) -> EdgeResult<(Vec<LeadView>, Option<Cursor>)> {
        let mut query = Query::new(format!("{LEAD_VIEW} WHERE organization_id = ?1"), self.org());
        if let Some(d) = domain {
            query.push(" AND domain_id = ?", text(&d.to_string()));
        }
        if let Some(t) = since_ms {
            query.push(" AND created_at >= ?", int(t));
        }
        if let Some(t) = until_ms {
            query.push(" AND created_at < ?", int(t));
        }
        let page = self
            .page(query, ("created_at", "id"), after, limit, |r: &LeadView| Cursor {
                at: r.created_at,
                id: r.id.clone(),
            })
            .await?;
        self.record_read(AuditAction::LeadsRead, None).await?;
        Ok(page)
    }
}
