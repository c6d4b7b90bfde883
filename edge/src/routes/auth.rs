//! `/v1/auth/...`: people signing in with an email and a password, and the session cookie
//! that then stands for them (see `session`). The console is served from the edge's own origin,
//! so a request a session cookie authorises must come from that origin when it changes
//! anything: a page elsewhere cannot borrow a signed-in browser (CSRF). Sign-in attempts are
//! counted by the meter, and a wrong password and an unknown email are answered alike, in about
//! the same time.

use shared::auth::{
    account_email, check_user_name, AcceptInvitation, ChangePassword, Login, Me, MembershipView, ResetPassword,
};
use shared::ErrorCode;
use worker::{Env, Method, Request, Response};

use super::admin::requester;
use crate::clock::now_ms;
use crate::error::{EdgeError, EdgeResult};
use crate::http;
use crate::ids::UserId;
use crate::meter::{LoginAdmission, Meter};
use crate::password::{self, PasswordHash};
use crate::secret;
use crate::session::{self, SessionTimes};
use crate::settings::Settings;
use crate::store::{Acceptance, Directory, LiveSession, NewSession};

/// A request's session, found live.
pub struct SignedIn {
    pub session: LiveSession,
    /// The SHA-256 of its cookie: the session's key.
    pub id_hash: String,
}

/// Whether the request came over HTTPS (the session cookie is then `__Host-` and `Secure`).
fn secure(req: &Request) -> bool {
    req.url().is_ok_and(|u| u.scheme() == "https")
}

/// The edge's own origin, as the request reached it.
pub(in crate::routes) fn own_origin(req: &Request) -> EdgeResult<String> {
    Ok(req.url()?.origin().ascii_serialization())
}

fn not_signed_in(message: &str) -> EdgeError {
    EdgeError::new(ErrorCode::NotSignedIn, message)
}

fn foreign_origin() -> EdgeError {
    EdgeError::new(ErrorCode::OriginNotAllowed, "This request must come from the console's own pages.")
}

/// A request a session cookie authorises changes something only if its `Origin` is the edge's
/// own. (Browsers send `Origin` with every cross-origin request and every POST, PATCH and DELETE.)
pub fn same_origin(req: &Request) -> EdgeResult<()> {
    match http::origin(req) {
        Some(o) if o == own_origin(req)? => Ok(()),
        _ => Err(foreign_origin()),
    }
}

/// Sign-in and one-time links carry no cookie, but a foreign page must not sign a browser in to
/// an account of its choosing either; tools without an `Origin` (curl, servers) are fine.
fn not_foreign(req: &Request) -> EdgeResult<()> {
    match http::origin(req) {
        Some(o) if o != own_origin(req)? => Err(foreign_origin()),
        _ => Ok(()),
    }
}

/// The session behind the request's cookie, if it is live; moves its idle end along.
pub async fn signed_in(req: &Request, env: &Env, times: SessionTimes) -> EdgeResult<SignedIn> {
    let cookie = http::header(req, "cookie");
    let secret = session::from_cookie_header(cookie.as_deref(), secure(req))
        .ok_or_else(|| not_signed_in("Sign in first (or send an API key: Authorization: Bearer sk_live_…)."))?;
    if req.method() != Method::Get && req.method() != Method::Head {
        same_origin(req)?;
    }
    let id_hash = secret::hash(&secret);
    let now = now_ms();
    let directory = Directory::new(env.d1("DB")?);
    let session = directory
        .live_session(&id_hash, now, times)
        .await?
        .ok_or_else(|| not_signed_in("Your session has ended. Sign in again."))?;
    if times.worth_touching(session.last_seen_at, now) {
        directory.touch_session(&id_hash, now).await?;
    }
    Ok(SignedIn { session, id_hash })
}

fn me(s: &LiveSession, times: SessionTimes, now: i64) -> Me {
    Me {
        user: s.user.clone(),
        memberships: s
            .memberships
            .iter()
            .map(|(org, name, role)| MembershipView {
                organization_id: org.to_string(),
                organization_name: name.clone(),
                role: *role,
                permissions: role.permissions(),
            })
            .collect::<Vec<_>>(),
        session_idle_expires_at: times.ends_at(now, s.expires_at),
        session_expires_at: s.expires_at,
    }
}

/// Starts a session for `user` and answers with who they are, the cookie set.
async fn start_session(
    req: &Request,
    env: &Env,
    settings: &Settings,
    user: UserId,
    status: u16,
) -> EdgeResult<Response> {
    let times = settings.accounts.sessions;
    let cookie_secret = secret::random_hex().map_err(EdgeError::internal)?;
    let id_hash = secret::hash(&cookie_secret);
    let now = now_ms();
    let directory = Directory::new(env.d1("DB")?);
    directory.start_session(&NewSession { id_hash: &id_hash, user, now, expires_at: now + times.max_ms }).await?;
    let session = directory
        .live_session(&id_hash, now, times)
        .await?
        .ok_or_else(|| EdgeError::internal("a new session is not live"))?;
    let mut resp = http::json(status, &me(&session, times, now))?;
    resp.headers_mut().set("set-cookie", &session::set_cookie(&cookie_secret, secure(req), times.max_ms))?;
    Ok(resp)
}

fn invalid_credentials() -> EdgeError {
    EdgeError::new(ErrorCode::InvalidCredentials, "The email or the password is not right.")
}

/// Checks `password` for the account `email`, counted by the meter: the account if the
/// password is its own. Unknown accounts, accounts without a password yet and wrong passwords
/// are all `invalid_credentials`, after the same hashing work.
async fn check_credentials(
    req: &Request,
    env: &Env,
    settings: &Settings,
    email: &str,
    password: &str,
) -> EdgeResult<UserId> {
    // Whatever was typed is counted and looked up the way accounts are stored.
    let account = account_email(email).unwrap_or_else(|| email.trim().to_lowercase());
    let meter = Meter::for_logins(env)?;
    let attempt = match meter.admit_login(settings.accounts.login, &account, &http::client_ip(req)).await? {
        LoginAdmission::Counted { attempt } => attempt,
        LoginAdmission::Locked { retry_after } => {
            return Err(EdgeError::rate_limited(
                retry_after,
                format!("Too many failed sign-ins. Try again in {retry_after} seconds."),
            ))
        }
    };
    let found = Directory::new(env.d1("DB")?).user_by_email(&account).await?;
    let stored = found.as_ref().and_then(|(_, hash)| hash.as_deref().and_then(PasswordHash::parse));
    let user = match (found, stored) {
        (Some((user, _)), Some(hash)) if hash.verify(password).await? => user,
        (_, Some(_)) => return Err(invalid_credentials()),
        (_, None) => {
            PasswordHash::verify_nothing(password).await?;
            return Err(invalid_credentials());
        }
    };
    meter.login_succeeded(&account, attempt).await?;
    Ok(user)
}

pub async fn login(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    not_foreign(req)?;
    let body: Login = http::read_json(req).await?;
    let settings = Settings::from_env(env)?;
    let user = check_credentials(req, env, &settings, &body.email, &body.password).await?;
    start_session(req, env, &settings, user, 200).await
}

/// Ends the request's session, if it has one, and clears the cookie either way.
pub async fn logout(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let settings = Settings::from_env(env)?;
    match signed_in(req, env, settings.accounts.sessions).await {
        Ok(s) => Directory::new(env.d1("DB")?).end_session(&s.id_hash, now_ms()).await?,
        Err(e) if e.code == ErrorCode::NotSignedIn => {}
        Err(e) => return Err(e),
    }
    signed_out(req)
}

/// Ends every session of the signed-in user, on every device.
pub async fn logout_everywhere(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let settings = Settings::from_env(env)?;
    let s = signed_in(req, env, settings.accounts.sessions).await?;
    Directory::new(env.d1("DB")?).end_sessions_of(s.session.user_id, now_ms()).await?;
    signed_out(req)
}

fn signed_out(req: &Request) -> EdgeResult<Response> {
    let mut resp = Response::empty()?.with_status(204);
    resp.headers_mut().set("set-cookie", &session::clear_cookie(secure(req)))?;
    Ok(resp)
}

pub async fn get_me(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let settings = Settings::from_env(env)?;
    let s = signed_in(req, env, settings.accounts.sessions).await?;
    http::json(200, &me(&s.session, settings.accounts.sessions, now_ms()))
}

/// Changes the signed-in user's password; their other sessions end.
pub async fn change_password(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    let settings = Settings::from_env(env)?;
    let s = signed_in(req, env, settings.accounts.sessions).await?;
    let body: ChangePassword = http::read_json(req).await?;
    password::check_new("new_password", &body.new_password).map_err(|e| weak(&e))?;
    // A wrong current password is a mistake in the form, not a signed-out session.
    check_credentials(req, env, &settings, &s.session.user.email, &body.current_password).await.map_err(|e| {
        if e.code == ErrorCode::InvalidCredentials {
            EdgeError::new(ErrorCode::InvalidField, "current_password: is not your current password")
        } else {
            e
        }
    })?;
    let hash = PasswordHash::new(&body.new_password).await?.encode();
    Directory::new(env.d1("DB")?).change_password(s.session.user_id, &hash, &s.id_hash, now_ms()).await?;
    Ok(Response::empty()?.with_status(204))
}

fn weak(e: &shared::field::FieldError) -> EdgeError {
    EdgeError::new(ErrorCode::WeakPassword, e.to_string())
}

fn link_invalid() -> EdgeError {
    EdgeError::new(ErrorCode::LinkInvalid, "This link was used already, was withdrawn, or has expired.")
}

/// A one-time link's token, hashed as stored.
fn link_token(raw: &str) -> EdgeResult<String> {
    secret::presented(raw).map(secret::hash).ok_or_else(link_invalid)
}

/// Takes up an invitation: a newcomer's account is created with the name and password given;
/// someone with an account proves it with their password, which stays as it was. Either way
/// they join the organization and are signed in.
pub async fn accept_invitation(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    not_foreign(req)?;
    let body: AcceptInvitation = http::read_json(req).await?;
    let settings = Settings::from_env(env)?;
    let token_hash = link_token(&body.token)?;
    let now = now_ms();
    let directory = Directory::new(env.d1("DB")?);
    let invitation = directory.pending_invitation(&token_hash, now).await?.ok_or_else(link_invalid)?;
    let (user, new_hash, name) = match directory.user_by_email(&invitation.email).await? {
        Some((user, _)) => {
            check_credentials(req, env, &settings, &invitation.email, &body.password).await?;
            (user, None, None)
        }
        None => {
            let name = body.name.as_deref().map(str::trim).unwrap_or_default().to_owned();
            check_user_name(&name)?;
            password::check_new("password", &body.password).map_err(|e| weak(&e))?;
            (UserId::generate(), Some(PasswordHash::new(&body.password).await?.encode()), Some(name))
        }
    };
    let new_user = name.as_deref().zip(new_hash.as_deref());
    match directory.accept_invitation(&invitation, user, new_user, &requester(req), now).await? {
        Acceptance::Joined => {}
        Acceptance::Lapsed => return Err(link_invalid()),
        Acceptance::AlreadyMember => {
            return Err(EdgeError::new(ErrorCode::AlreadyMember, "You are a member of this organization already."))
        }
    }
    start_session(req, env, &settings, user, 200).await
}

/// Sets a password with a one-time reset link; every session of the account ends, and a new
/// one starts here.
pub async fn reset_password(req: &mut Request, env: &Env) -> EdgeResult<Response> {
    not_foreign(req)?;
    let body: ResetPassword = http::read_json(req).await?;
    let settings = Settings::from_env(env)?;
    let token_hash = link_token(&body.token)?;
    password::check_new("password", &body.password).map_err(|e| weak(&e))?;
    let hash = PasswordHash::new(&body.password).await?.encode();
    let user = Directory::new(env.d1("DB")?)
        .use_password_reset(&token_hash, &hash, now_ms())
        .await?
        .ok_or_else(link_invalid)?;
    start_session(req, env, &settings, user, 200).await
}
