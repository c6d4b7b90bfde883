//! Building what the provider is asked: the domain's system prompt, then as much recent
//! history as fits the token budget, newest kept first.

use serde::Serialize;
use shared::{MessageStatus, Role};

/// Used when a domain has no system prompt of its own.
pub const DEFAULT_SYSTEM_PROMPT: &str =
    "You are the helpful assistant of this website. Answer visitors briefly and politely.";

/// A stored message, as far as the prompt cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
}

/// One message of the provider request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptMessage {
    pub role: Role,
    pub content: String,
}

/// Rough token count (about four characters a token, plus per-message framing). Providers count
/// exactly; this only keeps the prompt inside a budget and estimates usage when none is reported.
pub fn estimate_tokens(text: &str) -> u32 {
    let chars = text.chars().count() as u32;
    chars.div_ceil(4) + 4
}

/// `history` is oldest first and ends with the visitor's new message, which is always kept.
pub fn build(system_prompt: &str, history: &[Turn], budget_tokens: u32) -> Vec<PromptMessage> {
    let system = match system_prompt.trim() {
        "" => DEFAULT_SYSTEM_PROMPT,
        s => s,
    };
    let usable = history.iter().filter(|t| {
        // A reply that never started says nothing; system rows are the domain's, not the visitor's.
        t.role != Role::System && !(t.status == MessageStatus::Failed && t.content.is_empty())
    });
    let mut spent = estimate_tokens(system);
    let mut kept: Vec<&Turn> = Vec::new();
    for (i, turn) in usable.rev().enumerate() {
        let cost = estimate_tokens(&turn.content);
        if i > 0 && spent + cost > budget_tokens {
            break;
        }
        spent += cost;
        kept.push(turn);
    }
    // Start with a visitor turn: a leading assistant reply without its question confuses models.
    while kept.len() > 1 && kept.last().is_some_and(|t| t.role == Role::Assistant) {
        kept.pop();
    }
    std::iter::once(PromptMessage { role: Role::System, content: system.to_owned() })
        .chain(kept.into_iter().rev().map(|t| PromptMessage { role: t.role, content: t.content.clone() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: Role, content: &str) -> Turn {
        Turn { role, content: content.to_owned(), status: MessageStatus::Complete }
    }

    fn contents(p: &[PromptMessage]) -> Vec<&str> {
        p.iter().map(|m| m.content.as_str()).collect()
    }

    #[test]
    fn system_prompt_comes_first_then_history_in_order() {
        let h = [turn(Role::User, "q1"), turn(Role::Assistant, "a1"), turn(Role::User, "q2")];
        let p = build("Be a pirate.", &h, 1_000);
        assert_eq!(contents(&p), ["Be a pirate.", "q1", "a1", "q2"]);
        assert_eq!(p[0].role, Role::System);
        assert_eq!(p[2].role, Role::Assistant);
    }

    #[test]
    fn empty_system_prompt_falls_back_to_the_default() {
        let p = build("  ", &[turn(Role::User, "hi")], 1_000);
        assert_eq!(p[0].content, DEFAULT_SYSTEM_PROMPT);
    }

    #[test]
    fn oldest_turns_are_dropped_to_fit_the_budget() {
        let long = "x".repeat(400); // ~104 tokens each
        let h: Vec<Turn> = (0..10)
            .map(|i| turn(if i % 2 == 0 { Role::User } else { Role::Assistant }, &format!("{i}{long}")))
            .chain([turn(Role::User, "latest")])
            .collect();
        let p = build("sys", &h, 350);
        let total: u32 = p.iter().map(|m| estimate_tokens(&m.content)).sum();
        assert!(total <= 350, "{total}");
        assert_eq!(p.last().unwrap().content, "latest");
        assert!(p.len() < h.len() + 1);
        assert_eq!(p[1].role, Role::User, "history starts with a visitor turn");
    }

    #[test]
    fn the_new_message_is_kept_even_over_budget() {
        let big = "y".repeat(10_000);
        let p = build("sys", &[turn(Role::User, "old"), turn(Role::User, &big)], 50);
        assert_eq!(contents(&p), ["sys", big.as_str()]);
    }

    #[test]
    fn failed_empty_replies_are_left_out_but_partial_ones_stay() {
        let h = [
            turn(Role::User, "q1"),
            Turn { role: Role::Assistant, content: String::new(), status: MessageStatus::Failed },
            turn(Role::User, "q2"),
            Turn { role: Role::Assistant, content: "half an ans".into(), status: MessageStatus::Interrupted },
            turn(Role::User, "q3"),
        ];
        assert_eq!(contents(&build("s", &h, 1_000)), ["s", "q1", "q2", "half an ans", "q3"]);
    }
}
