//! The people of an organization: memberships and their roles, invitations, and the reset
//! links an owner or admin issues for a member. The organization never loses its last owner:
//! the statements that change or remove an owner check it themselves, so two concurrent
//! demotions cannot both pass.

use serde::Deserialize;
use shared::admin::audit::AuditAction;
use shared::admin::members::{InvitationView, MemberView};
use shared::MemberRole;

use super::{bind, changed, int, text, OrgStore};
use crate::error::{EdgeError, EdgeResult};
use crate::ids::{InvitationId, UserId};

/// An invitation to store: its one-time token's hash and when it lapses.
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub role: MemberRole,
    pub token_hash: &'a str,
    pub created_by: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// What changing or removing a member came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Grant {
    Done,
    NoSuchMember,
    /// The change would leave the organization without an owner.
    LastOwner,
}

#[derive(Deserialize)]
struct MemberRow {
    user_id: String,
    email: String,
    name: String,
    role: String,
    joined_at: i64,
    has_password: i64,
}

impl TryFrom<MemberRow> for MemberView {
    type Error = EdgeError;

    fn try_from(r: MemberRow) -> EdgeResult<Self> {
        Ok(Self {
            user_id: r.user_id,
            email: r.email,
            name: r.name,
            role: MemberRole::parse(&r.role).map_err(EdgeError::internal)?,
            joined_at: r.joined_at,
            has_password: r.has_password != 0,
        })
    }
}

const MEMBER_COLUMNS: &str = "u.id AS user_id, u.email, u.name, m.role, m.created_at AS joined_at, \
                              u.password_hash IS NOT NULL AS has_password";

#[derive(Deserialize)]
struct InvitationRow {
    id: String,
    email: String,
    role: String,
    created_at: i64,
    expires_at: i64,
    created_by: String,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<InvitationRow> for InvitationView {
    type Error = EdgeError;

    fn try_from(r: InvitationRow) -> EdgeResult<Self> {
        Ok(Self {
            id: r.id,
            email: r.email,
            role: MemberRole::parse(&r.role).map_err(EdgeError::internal)?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            created_by: r.created_by,
            accepted_at: r.accepted_at,
            revoked_at: r.revoked_at,
        })
    }
}

const INVITATION_COLUMNS: &str = "id, email, role, created_at, expires_at, created_by, accepted_at, revoked_at";

/// Owners are kept at one or more: a statement's extra condition that holds unless the row it
/// touches is the organization's last owner.
const NOT_LAST_OWNER: &str = "(role <> 'owner' OR (SELECT count(*) FROM memberships \
                              WHERE organization_id = ?1 AND role = 'owner') > 1)";

impl OrgStore {
    pub async fn members(&self) -> EdgeResult<Vec<MemberView>> {
        let rows: Vec<MemberRow> = bind(
            &self.db,
            &format!(
                "SELECT {MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.organization_id = ?1 ORDER BY m.created_at, u.id"
            ),
            &[self.org()],
        )?
        .all()
        .await?
        .results()?;
        rows.into_iter().map(MemberView::try_from).collect()
    }

    pub async fn member(&self, user: UserId) -> EdgeResult<Option<MemberView>> {
        let row: Option<MemberRow> = bind(
            &self.db,
            &format!(
                "SELECT {MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.organization_id = ?1 AND m.user_id = ?2"
            ),
            &[self.org(), text(&user.to_string())],
        )?
        .first(None)
        .await?;
        row.map(MemberView::try_from).transpose()
    }

    /// How many other organizations the member belongs to.
    pub async fn memberships_elsewhere(&self, user: UserId) -> EdgeResult<u64> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT count(*) AS n FROM memberships WHERE user_id = ?2 AND organization_id <> ?1",
            &[self.org(), text(&user.to_string())],
        )?
        .first(None)
        .await?;
        Ok(row.map_or(0, |r| super::count(r.n)))
    }

    /// Whether someone with this email belongs to the organization already.
    pub async fn has_member_with_email(&self, email: &str) -> EdgeResult<bool> {
        #[derive(Deserialize)]
        struct Row {
            n: i64,
        }
        let row: Option<Row> = bind(
            &self.db,
            "SELECT count(*) AS n FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organization_id = ?1 AND u.email = ?2",
            &[self.org(), text(email)],
        )?
        .first(None)
        .await?;
        Ok(row.is_some_and(|r| r.n > 0))
    }

    pub async fn change_role(&self, user: UserId, role: MemberRole) -> EdgeResult<Grant> {
        let update = bind(
            &self.db,
            &format!(
                "UPDATE memberships SET role = ?3 WHERE organization_id = ?1 AND user_id = ?2 \
                 AND (?3 = 'owner' OR {NOT_LAST_OWNER})"
            ),
            &[self.org(), text(&user.to_string()), text(role.as_str())],
        )?;
        let results = self
            .db
            .batch(vec![update, self.audit_if_changed(AuditAction::MemberUpdate, Some(("member", &user.to_string())))?])
            .await?;
        self.granted(user, results.first().map_or(Ok(false), changed)?).await
    }

    pub async fn remove_member(&self, user: UserId) -> EdgeResult<Grant> {
        let delete = bind(
            &self.db,
            &format!("DELETE FROM memberships WHERE organization_id = ?1 AND user_id = ?2 AND {NOT_LAST_OWNER}"),
            &[self.org(), text(&user.to_string())],
        )?;
        let results = self
            .db
            .batch(vec![delete, self.audit_if_changed(AuditAction::MemberRemove, Some(("member", &user.to_string())))?])
            .await?;
        self.granted(user, results.first().map_or(Ok(false), changed)?).await
    }

    /// Why a change to `user`'s membership changed nothing, if it did not.
    async fn granted(&self, user: UserId, changed: bool) -> EdgeResult<Grant> {
        Ok(if changed {
            Grant::Done
        } else if self.member(user).await?.is_some() {
            Grant::LastOwner
        } else {
            Grant::NoSuchMember
        })
    }

    pub async fn create_invitation(&self, i: &NewInvitation<'_>) -> EdgeResult<InvitationView> {
        let id = InvitationId::generate().to_string();
        let insert = bind(
            &self.db,
            "INSERT INTO invitations (id, organization_id, email, role, token_hash, created_by, created_at, expires_at) \
             VALUES (?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                self.org(),
                text(&id),
                text(i.email),
                text(i.role.as_str()),
                text(i.token_hash),
                text(i.created_by),
                int(i.now),
                int(i.expires_at),
            ],
        )?;
        self.db
            .batch(vec![insert, self.audit_if_changed(AuditAction::InvitationCreate, Some(("invitation", &id)))?])
            .await?;
        Ok(InvitationView {
            id,
            email: i.email.to_owned(),
            role: i.role,
            created_at: i.now,
            expires_at: i.expires_at,
            created_by: i.created_by.to_owned(),
            accepted_at: None,
            revoked_at: None,
        })
    }

    /// Every invitation, newest first.
    pub async fn invitations(&self) -> EdgeResult<Vec<InvitationView>> {
        let rows: Vec<InvitationRow> = bind(
            &self.db,
            &format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations WHERE organization_id = ?1 \
                 ORDER BY created_at DESC, id DESC LIMIT 500"
            ),
            &[self.org()],
        )?
        .all()
        .await?
        .results()?;
        rows.into_iter().map(InvitationView::try_from).collect()
    }

    pub async fn invitation(&self, id: InvitationId) -> EdgeResult<Option<InvitationView>> {
        let row: Option<InvitationRow> = bind(
            &self.db,
            &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE organization_id = ?1 AND id = ?2"),
            &[self.org(), text(&id.to_string())],
        )?
        .first(None)
        .await?;
        row.map(InvitationView::try_from).transpose()
    }

    /// Revokes a pending invitation; one accepted or revoked already stays as it is. False if
    /// nothing was pending under this id.
    pub async fn revoke_invitation(&self, id: InvitationId, now: i64) -> EdgeResult<bool> {
        let update = bind(
            &self.db,
            "UPDATE invitations SET revoked_at = ?3 WHERE organization_id = ?1 AND id = ?2 \
             AND accepted_at IS NULL AND revoked_at IS NULL",
            &[self.org(), text(&id.to_string()), int(now)],
        )?;
        let results = self
            .db
            .batch(vec![
                update,
                self.audit_if_changed(AuditAction::InvitationRevoke, Some(("invitation", &id.to_string())))?,
            ])
            .await?;
        results.first().map_or(Ok(false), changed)
    }

    /// Stores a reset link for a member of this organization. False if `user` is not one.
    /// (Whether the member belongs elsewhere too is the caller's check, and the link's when used.)
    pub async fn issue_password_reset(
        &self,
        user: UserId,
        issuer: MemberRole,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> EdgeResult<bool> {
        let insert = bind(
            &self.db,
            "INSERT INTO password_resets (token_hash, user_id, organization_id, issuer_role, created_at, expires_at) \
             SELECT ?3, ?2, ?1, ?6, ?4, ?5 WHERE EXISTS \
             (SELECT 1 FROM memberships WHERE organization_id = ?1 AND user_id = ?2)",
            &[self.org(), text(&user.to_string()), text(token_hash), int(now), int(expires_at), text(issuer.as_str())],
        )?;
        let results = self
            .db
            .batch(vec![
                insert,
                self.audit_if_changed(AuditAction::MemberPasswordReset, Some(("member", &user.to_string())))?,
            ])
            .await?;
        results.first().map_or(Ok(false), changed)
    }
}
