//! The team: members and their roles, invitations (the link shown here when the edge has no
//! mail provider to send it), and removing people. Owners and admins manage; others read.

use leptos::prelude::*;
use shared::access::{MemberRole, Permission};
use shared::admin::members::{InvitationCreated, InvitationView, MemberView};
use shared::admin::Page;

use crate::account::use_account;
use crate::api::{self, Answer, ApiError};
use crate::ui::{when, CopyButton, ErrorNote};

/// A role as a person reads it.
pub fn role_name(role: MemberRole) -> &'static str {
    match role {
        MemberRole::Owner => "Owner",
        MemberRole::Admin => "Admin",
        MemberRole::Agent => "Agent",
        MemberRole::Viewer => "Viewer",
    }
}

#[component]
pub fn Team() -> impl IntoView {
    let account = use_account();
    let reload = RwSignal::new(0u32);
    let members = Answer::<Page<MemberView>>::new(move || {
        account.organization.track();
        reload.track();
        "/v1/admin/members".into()
    });
    let manages = move || account.can(Permission::MembersManage);
    let error = RwSignal::new(None::<ApiError>);
    let email = RwSignal::new(String::new());
    let role = RwSignal::new("agent".to_owned());
    let link = RwSignal::new(None::<String>);
    let invite_error = RwSignal::new(None::<ApiError>);
    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = serde_json::json!({ "email": email.get_untracked().trim(), "role": role.get_untracked() });
        leptos::task::spawn_local(async move {
            match api::post::<_, InvitationCreated>("/v1/admin/invitations", &body).await {
                Ok(created) => {
                    invite_error.set(None);
                    email.set(String::new());
                    link.set(created.delivery.link);
                    reload.update(|n| *n += 1);
                }
                Err(e) => invite_error.set(Some(e)),
            }
        });
    };
    let change_role = move |user_id: String, value: String| {
        leptos::task::spawn_local(async move {
            let body = serde_json::json!({ "role": value });
            match api::patch::<_, serde_json::Value>(&format!("/v1/admin/members/{user_id}"), &body).await {
                Ok(_) => error.set(None),
                Err(e) => error.set(Some(e)),
            }
            reload.update(|n| *n += 1);
        });
    };
    let remove = move |user_id: String| {
        leptos::task::spawn_local(async move {
            match api::delete(&format!("/v1/admin/members/{user_id}")).await {
                Ok(_) => error.set(None),
                Err(e) => error.set(Some(e)),
            }
            reload.update(|n| *n += 1);
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            if let Err(e) = api::delete(&format!("/v1/admin/invitations/{id}")).await {
                error.set(Some(e));
            }
            reload.update(|n| *n += 1);
        });
    };
    let my_id = move || account.me.get().map(|me| me.user.id).unwrap_or_default();
    view! {
        <h1>"Team"</h1>
        <ErrorNote error/>
        <Suspense fallback=|| view! { <p role="status">"Loading…"</p> }>
            {move || members.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(page) => view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Joined"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {page.items.into_iter().map(|m| {
                                let uid = m.user_id.clone();
                                let uid2 = m.user_id.clone();
                                let is_me = m.user_id == my_id();
                                view! {
                                    <tr>
                                        <td data-label="Name">{m.name.clone()}{is_me.then_some(" (you)")}</td>
                                        <td data-label="Email">{m.email.clone()}</td>
                                        <td data-label="Role">
                                            {if manages() && !is_me {
                                                view! {
                                                    <select aria-label=format!("Role of {}", m.email)
                                                        on:change=move |ev| change_role(uid.clone(), event_target_value(&ev))>
                                                        {MemberRole::ALL.into_iter().map(|r| view! {
                                                            <option value=r.as_str() selected=r == m.role>{role_name(r)}</option>
                                                        }).collect_view()}
                                                    </select>
                                                }.into_any()
                                            } else {
                                                view! { <span>{role_name(m.role)}</span> }.into_any()
                                            }}
                                        </td>
                                        <td data-label="Joined">{when(m.joined_at)}</td>
                                        <td>
                                            {(manages() && !is_me).then(|| view! {
                                                <button type="button" class="danger" aria-label=format!("Remove {}", m.email)
                                                    on:click=move |_| remove(uid2.clone())>"Remove"</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
        <Show when=manages>
            <form class="card inline-form" on:submit=invite>
                <h2>"Invite someone"</h2>
                <div class="row">
                    <div>
                        <label for="invite-email">"Email"</label>
                        <input id="invite-email" type="email" required bind:value=email/>
                    </div>
                    <div>
                        <label for="invite-role">"Role"</label>
                        <select id="invite-role" bind:value=role>
                            {MemberRole::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{role_name(r)}</option> }).collect_view()}
                        </select>
                    </div>
                </div>
                <p class="hint">"Owners run everything; admins all but billing and owners; agents read and answer conversations and leads; viewers read."</p>
                <ErrorNote error=invite_error/>
                <button type="submit">"Send invitation"</button>
                {move || link.get().map(|l| view! {
                    <div class="notice" role="status">
                        <p>"No mail is set up here: pass this one-time link on yourself. It works once, for 7 days."</p>
                        <pre id="invitation-link">{l.clone()}</pre>
                        <CopyButton text=Signal::stored(l) label="Copy the link"/>
                    </div>
                })}
            </form>
            <h2>"Invitations"</h2>
            // Asked for only by those who manage the team (they are shown only to them).
            {
                let invitations = Answer::<Page<InvitationView>>::new(move || {
                    account.organization.track();
                    reload.track();
                    "/v1/admin/invitations".into()
                });
                move || invitations.get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    Ok(list) => {
                        let pending: Vec<InvitationView> = list.items.into_iter().filter(|i| i.accepted_at.is_none() && i.revoked_at.is_none()).collect();
                        if pending.is_empty() {
                            view! { <p class="hint">"No pending invitations."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="list">
                                    {pending.into_iter().map(|i| {
                                        let id = i.id.clone();
                                        view! {
                                            <li class="card">
                                                {i.email.clone()} " · " {role_name(i.role)} " · expires " {when(i.expires_at)}
                                                <button type="button" class="secondary" aria-label=format!("Withdraw the invitation of {}", i.email)
                                                    on:click=move |_| revoke(id.clone())>"Withdraw"</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }
                })
            }
        </Show>
    }
}
