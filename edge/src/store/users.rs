//! People and their sessions, looked up before an organization is chosen: sign-in, the session
//! behind a cookie, one-time links (invitations, password resets). Secrets arrive here hashed.

use serde::Deserialize;
use shared::auth::UserView;
use shared::MemberRole;

use super::{bind, changed, int, opt_text, text, Directory};
use crate::error::{EdgeError, EdgeResult};
use crate::ids::{AuditEventId, InvitationId, OrgId, UserId};
use crate::session::SessionTimes;

/// A session found live: its user, when it ends, and every organization the user belongs to.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub user: UserView,
    pub user_id: UserId,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// Organization, its name, and the user's role there.
    pub memberships: Vec<(OrgId, String, MemberRole)>,
}

/// A session to start: the SHA-256 of its cookie, and its absolute end.
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user: UserId,
    pub now: i64,
    pub expires_at: i64,
}

/// What taking up an invitation came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Acceptance {
    Joined,
    /// Someone took it up first, or it lapsed meanwhile.
    Lapsed,
    /// The person belongs to the organization already (another invitation got there first).
    AlreadyMember,
}

/// A pending invitation, as its link finds it.
#[derive(Debug, Clone)]
pub struct PendingInvitation {
    pub id: InvitationId,
    pub organization: OrgId,
    pub email: String,
    pub role: MemberRole,
}

fn malformed(what: &str) -> EdgeError {
    EdgeError::internal(format!("malformed ids in {what}"))
}

impl Directory {
    /// The account with this email (any case), and its password hash if it has one.
    pub async fn user_by_email(&self, email: &str) -> EdgeResult<Option<(UserId, Option<String>)>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            password_hash: Option<String>,
        }
        let row: Option<Row> =
            bind(&self.db, "SELECT id, password_hash FROM users WHERE email = ?1", &[text(email)])?.first(None).await?;
        row.map(|r| Ok((UserId::parse(&r.id).ok_or_else(|| malformed("users"))?, r.password_hash))).transpose()
    }

    pub async fn start_session(&self, s: &NewSession<'_>) -> EdgeResult<()> {
        bind(
            &self.db,
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?3, ?4)",
            &[text(s.id_hash), text(&s.user.to_string()), int(s.now), int(s.expires_at)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// The session with this cookie hash if it is live at `now` (not revoked, not idle past
    /// `times`, not past its end), with its user's memberships.
    pub async fn live_session(&self, id_hash: &str, now: i64, times: SessionTimes) -> EdgeResult<Option<LiveSession>> {
        #[derive(Deserialize)]
        struct Row {
            user_id: String,
            email: String,
            name: String,
            created_at: i64,
            last_seen_at: i64,
            expires_at: i64,
            organization_id: Option<String>,
            organization_name: Option<String>,
            role: Option<String>,
        }
        let rows: Vec<Row> = bind(
            &self.db,
            "SELECT u.id AS user_id, u.email, u.name, u.created_at, s.last_seen_at, s.expires_at, \
             m.organization_id, o.name AS organization_name, m.role \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN memberships m ON m.user_id = u.id LEFT JOIN organizations o ON o.id = m.organization_id \
             WHERE s.id_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 AND s.last_seen_at > ?3 \
             ORDER BY o.name, m.organization_id",
            &[text(id_hash), int(now), int(now - times.idle_ms)],
        )?
        .all()
        .await?
        .results()?;
        let Some(first) = rows.first() else { return Ok(None) };
        let user_id = UserId::parse(&first.user_id).ok_or_else(|| malformed("sessions"))?;
        let mut session = LiveSession {
            user: UserView {
                id: first.user_id.clone(),
                email: first.email.clone(),
                name: first.name.clone(),
                created_at: first.created_at,
            },
            user_id,
            last_seen_at: first.last_seen_at,
            expires_at: first.expires_at,
            memberships: Vec::new(),
        };
        for r in rows {
            if let (Some(org), Some(name), Some(role)) = (r.organization_id, r.organization_name, r.role) {
                let org = OrgId::parse(&org).ok_or_else(|| malformed("memberships"))?;
                let role = MemberRole::parse(&role).map_err(EdgeError::internal)?;
                session.memberships.push((org, name, role));
            }
        }
        Ok(Some(session))
    }

    /// Moves the session's idle end along.
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> EdgeResult<()> {
        bind(&self.db, "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1", &[text(id_hash), int(now)])?
            .run()
            .await?;
        Ok(())
    }

    pub async fn end_session(&self, id_hash: &str, now: i64) -> EdgeResult<()> {
        bind(
            &self.db,
            "UPDATE sessions SET revoked_at = coalesce(revoked_at, ?2) WHERE id_hash = ?1",
            &[text(id_hash), int(now)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Ends every session of the user ("sign out everywhere").
    pub async fn end_sessions_of(&self, user: UserId, now: i64) -> EdgeResult<()> {
        bind(
            &self.db,
            "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
            &[text(&user.to_string()), int(now)],
        )?
        .run()
        .await?;
        Ok(())
    }

    /// Sets the user's password, ends their other sessions (all but `keep`) and voids their
    /// unused reset links.
    pub async fn change_password(&self, user: UserId, hash: &str, keep: &str, now: i64) -> EdgeResult<()> {
        self.db
            .batch(vec![
                bind(
                    &self.db,
                    "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                    &[text(&user.to_string()), text(hash)],
                )?,
                bind(
                    &self.db,
                    "UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL AND id_hash <> ?3",
                    &[text(&user.to_string()), int(now), text(keep)],
                )?,
                bind(
                    &self.db,
                    "DELETE FROM password_resets WHERE user_id = ?1 AND used_at IS NULL",
                    &[text(&user.to_string())],
                )?,
            ])
            .await?;
        Ok(())
    }

    /// Uses the reset link with this token hash, if it is live: sets the password, ends every
    /// session of its user and voids their other links, in one transaction. `None` if the link
    /// was used, expired or unknown, or if it came from an organization whose say over the
    /// account has lapsed since: the user left it, joined another one, or now holds a role its
    /// issuer may not manage (an admin's link for someone since made an owner).
    pub async fn use_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> EdgeResult<Option<UserId>> {
        let of_link = "(SELECT user_id FROM password_resets WHERE token_hash = ?1)";
        let results = self
            .db
            .batch(vec![
                bind(
                    &self.db,
                    "UPDATE password_resets SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 \
                     AND (organization_id IS NULL OR ( \
                       EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = password_resets.user_id \
                         AND m.organization_id = password_resets.organization_id \
                         AND (m.role <> 'owner' OR password_resets.issuer_role = 'owner')) \
                       AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = password_resets.user_id \
                         AND m.organization_id <> password_resets.organization_id)))",
                    &[text(token_hash), int(now)],
                )?,
                bind(
                    &self.db,
                    &format!("UPDATE users SET password_hash = ?3 WHERE changes() > 0 AND id = {of_link}"),
                    &[text(token_hash), int(now), text(password_hash)],
                )?,
                bind(
                    &self.db,
                    &format!("UPDATE sessions SET revoked_at = ?2 WHERE changes() > 0 AND revoked_at IS NULL AND user_id = {of_link}"),
                    &[text(token_hash), int(now)],
                )?,
                bind(
                    &self.db,
                    &format!(
                        "DELETE FROM password_resets WHERE used_at IS NULL AND user_id = {of_link} \
                         AND EXISTS (SELECT 1 FROM password_resets WHERE token_hash = ?1 AND used_at = ?2)"
                    ),
                    &[text(token_hash), int(now)],
                )?,
                bind(&self.db, "SELECT user_id FROM password_resets WHERE token_hash = ?1", &[text(token_hash)])?,
            ])
            .await?;
        if !results.first().map_or(Ok(false), changed)? {
            return Ok(None);
        }
        #[derive(Deserialize)]
        struct Row {
            user_id: String,
        }
        let row = results.last().map(|r| r.results::<Row>()).transpose()?.and_then(|r| r.into_iter().next());
        Ok(row.and_then(|r| UserId::parse(&r.user_id)))
    }

    /// The invitation with this token hash if it can still be accepted at `now`.
    pub async fn pending_invitation(&self, token_hash: &str, now: i64) -> EdgeResult<Option<PendingInvitation>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            organization_id: String,
            email: String,
            role: String,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT id, organization_id, email, role FROM invitations WHERE token_hash = ?1 \
             AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?2",
            &[text(token_hash), int(now)],
        )?
        .first(None)
        .await?;
        row.map(|r| {
            Ok(PendingInvitation {
                id: InvitationId::parse(&r.id).ok_or_else(|| malformed("invitations"))?,
                organization: OrgId::parse(&r.organization_id).ok_or_else(|| malformed("invitations"))?,
                email: r.email,
                role: MemberRole::parse(&r.role).map_err(EdgeError::internal)?,
            })
        })
        .transpose()
    }

    /// Takes up the invitation once: marks it accepted, creates the account if `new_user`
    /// names it (a name and a password hash), adds the membership and its audit row, in one
    /// transaction, or nothing at all.
    pub async fn accept_invitation(
        &self,
        invitation: &PendingInvitation,
        user: UserId,
        new_user: Option<(&str, &str)>,
        requester: &super::Requester,
        now: i64,
    ) -> EdgeResult<Acceptance> {
        let mut statements = vec![bind(
            &self.db,
            "UPDATE invitations SET accepted_at = ?2 WHERE id = ?1 AND accepted_at IS NULL AND revoked_at IS NULL \
             AND expires_at > ?2",
            &[text(&invitation.id.to_string()), int(now)],
        )?];
        if let Some((name, password_hash)) = new_user {
            statements.push(bind(
                &self.db,
                "INSERT INTO users (id, email, name, password_hash, created_at) SELECT ?1, ?2, ?3, ?4, ?5 \
                 WHERE changes() > 0",
                &[text(&user.to_string()), text(&invitation.email), text(name), text(password_hash), int(now)],
            )?);
        }
        statements.push(bind(
            &self.db,
            "INSERT INTO memberships (user_id, organization_id, role, created_at) SELECT ?1, ?2, ?3, ?4 \
             WHERE changes() > 0",
            &[
                text(&user.to_string()),
                text(&invitation.organization.to_string()),
                text(invitation.role.as_str()),
                int(now),
            ],
        )?);
        statements.push(bind(
            &self.db,
            "INSERT INTO audit_events (id, organization_id, actor_type, actor_id, action, target_type, target_id, at, \
             ip, user_agent) SELECT ?1, ?2, 'user', ?3, 'invitation.accept', 'invitation', ?4, ?5, ?6, ?7 \
             WHERE changes() > 0",
            &[
                text(&AuditEventId::generate().to_string()),
                text(&invitation.organization.to_string()),
                text(&user.to_string()),
                text(&invitation.id.to_string()),
                int(now),
                opt_text(requester.ip.as_deref()),
                opt_text(requester.user_agent().as_deref()),
            ],
        )?);
        match self.db.batch(statements).await {
            Ok(results) if results.first().map_or(Ok(false), changed)? => Ok(Acceptance::Joined),
            Ok(_) => Ok(Acceptance::Lapsed),
            Err(e) if e.to_string().contains("UNIQUE constraint failed: memberships") => Ok(Acceptance::AlreadyMember),
            // Another invitation to the same address made the account a moment ago.
            Err(e) if e.to_string().contains("UNIQUE constraint failed: users.email") => Ok(Acceptance::Lapsed),
            Err(e) => Err(e.into()),
        }
    }

    /// Forgets sessions and one-time links over for a day or more; accepted and revoked
    /// invitations stay, as the team's history.
    pub async fn forget_ended_sessions_and_links(&self, now: i64) -> EdgeResult<()> {
        let day_ago = int(now - 86_400_000);
        self.db
            .batch(vec![
                bind(
                    &self.db,
                    "DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1",
                    std::slice::from_ref(&day_ago),
                )?,
                bind(&self.db, "DELETE FROM password_resets WHERE expires_at < ?1", &[day_ago])?,
            ])
            .await?;
        Ok(())
    }
}
