//! `/v1/admin/members` and `/v1/admin/invitations`: the team. Only owners give, change or
//! remove the owner role, and the last owner stays. Invitation and reset links are one-time
//! secrets stored hashed; they go by mail when the edge has a mail provider, and are otherwise
//! in the answer for the caller to pass on.

use shared::admin::members::{ChangeRole, CreateInvitation, InvitationCreated};
use shared::auth::account_email;
use shared::ErrorCode;
use worker::{Env, Request, Response};

use super::{body, items, no_content};
use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::{InvitationId, UserId};
use crate::mail::{self, LinkMail};
use crate::routes::auth::own_origin;
use crate::secret;
use crate::settings::Settings;
use crate::store::{Grant, NewInvitation, OrgStore};
use crate::tenancy::{forbidden, Owner};

/// How long an invitation or a reset link can be used.
const LINK_TTL_MS: i64 = 7 * 86_400_000;

fn member_not_found() -> EdgeError {
    EdgeError::new(ErrorCode::MemberNotFound, "No such member.")
}

fn last_owner() -> EdgeError {
    EdgeError::new(ErrorCode::LastOwner, "The organization must keep at least one owner.")
}

/// The console's page for a one-time link, on the edge's own origin. The token travels in the
/// fragment, which browsers never send to a server or in a `Referer`.
fn link(req: &Request, page: &str, token: &str) -> EdgeResult<String> {
    Ok(format!("{}/console/{page}#token={token}", own_origin(req)?))
}

pub async fn list(store: &OrgStore) -> EdgeResult<Response> {
    items(store.members().await?)
}

pub async fn patch(req: &mut Request, store: &OrgStore, owner: &Owner, id: &str) -> EdgeResult<Response> {
    let user = UserId::parse(id).ok_or_else(member_not_found)?;
    let body: ChangeRole = body(req).await?;
    let member = store.member(user).await?.ok_or_else(member_not_found)?;
    owner.may_manage(member.role)?;
    owner.may_manage(body.role)?;
    match store.change_role(user, body.role).await? {
        Grant::Done => http::json(200, &store.member(user).await?.ok_or_else(member_not_found)?),
        Grant::NoSuchMember => Err(member_not_found()),
        Grant::LastOwner => Err(last_owner()),
    }
}

pub async fn remove(store: &OrgStore, owner: &Owner, id: &str) -> EdgeResult<Response> {
    let user = UserId::parse(id).ok_or_else(member_not_found)?;
    let member = store.member(user).await?.ok_or_else(member_not_found)?;
    owner.may_manage(member.role)?;
    match store.remove_member(user).await? {
        Grant::Done => no_content(),
        Grant::NoSuchMember => Err(member_not_found()),
        Grant::LastOwner => Err(last_owner()),
    }
}

/// A one-time link that sets the member's password (and ends their sessions when used). Only
/// for someone this organization alone holds: an account that also belongs elsewhere is not
/// this organization's to take over, so its owner resets it themselves (or the operator does).
/// The link is stored before it is sent, so nobody receives one that does not work.
pub async fn password_reset(
    req: &mut Request,
    env: &Env,
    store: &OrgStore,
    owner: &Owner,
    id: &str,
) -> EdgeResult<Response> {
    let user = UserId::parse(id).ok_or_else(member_not_found)?;
    let member = store.member(user).await?.ok_or_else(member_not_found)?;
    owner.may_manage(member.role)?;
    if store.memberships_elsewhere(user).await? > 0 {
        return Err(forbidden("This member belongs to other organizations too: only they can change their password."));
    }
    let token = secret::random_hex().map_err(EdgeError::internal)?;
    let now = now_ms();
    let expires_at = now + LINK_TTL_MS;
    if !store.issue_password_reset(user, owner.role(), &secret::hash(&token), now, expires_at).await? {
        return Err(member_not_found());
    }
    let url = link(req, "reset-password", &token)?;
    let settings = Settings::from_env(env)?;
    let mail = LinkMail {
        to: &member.email,
        subject: "Set your password",
        text: "Use this link within 7 days to set a new password. It works once.",
        link: &url,
        expires_at,
    };
    http::json(201, &mail::deliver(&settings.accounts, &mail).await?)
}

pub async fn invitations(store: &OrgStore) -> EdgeResult<Response> {
    items(store.invitations().await?)
}

pub async fn invite(req: &mut Request, env: &Env, store: &OrgStore, owner: &Owner) -> EdgeResult<Response> {
    let body: CreateInvitation = body(req).await?;
    let email = account_email(&body.email)
        .ok_or_else(|| EdgeError::new(ErrorCode::InvalidField, "email: must be an email address"))?;
    owner.may_manage(body.role)?;
    if store.has_member_with_email(&email).await? {
        return Err(EdgeError::new(ErrorCode::AlreadyMember, "Someone with this email is a member already."));
    }
    let token = secret::random_hex().map_err(EdgeError::internal)?;
    let now = now_ms();
    let expires_at = now + LINK_TTL_MS;
    // Stored before it is sent, so nobody receives a link that does not work; withdrawn if it
    // cannot be sent.
    let invitation = store
        .create_invitation(&NewInvitation {
            email: &email,
            role: body.role,
            token_hash: &secret::hash(&token),
            created_by: &owner.actor().id(),
            now,
            expires_at,
        })
        .await?;
    let url = link(req, "accept-invitation", &token)?;
    let settings = Settings::from_env(env)?;
    let org = store.organization().await?;
    let text =
        format!("You are invited to join {} as {}. Use this link within 7 days; it works once.", org.name, body.role);
    let mail = LinkMail { to: &email, subject: "You are invited", text: &text, link: &url, expires_at };
    let delivery = match mail::deliver(&settings.accounts, &mail).await {
        Ok(d) => d,
        Err(e) => {
            let id =
                InvitationId::parse(&invitation.id).ok_or_else(|| EdgeError::internal("an invitation's own id"))?;
            store.revoke_invitation(id, now_ms()).await?;
            return Err(e);
        }
    };
    http::json(201, &InvitationCreated { invitation, delivery })
}

pub async fn revoke_invitation(store: &OrgStore, owner: &Owner, id: &str) -> EdgeResult<Response> {
    let not_found = || EdgeError::new(ErrorCode::InvitationNotFound, "No such pending invitation.");
    let id = InvitationId::parse(id).ok_or_else(not_found)?;
    let invitation = store.invitation(id).await?.ok_or_else(not_found)?;
    owner.may_manage(invitation.role)?;
    if !store.revoke_invitation(id, now_ms()).await? {
        return Err(not_found());
    }
    http::json(200, &store.invitation(id).await?.ok_or_else(not_found)?)
}
