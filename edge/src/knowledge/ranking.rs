//! How passages are scored and ranked: embeddings stored as signed bytes and compared by cosine,
//! the word and meaning rankings fused by rank, and which messages need no search at all.

/// A unit vector stored as one signed byte per dimension (×127): a quarter of `f32`'s size,
/// and cosine similarity stays within about 0.01 of the exact one.
pub fn quantize(v: &[f32]) -> Vec<u8> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    v.iter().map(|x| ((x / norm) * 127.0).round().clamp(-127.0, 127.0) as i8 as u8).collect()
}

/// Cosine similarity of a unit query vector and a stored one; 0 when their sizes differ (a
/// passage embedded by another model).
pub fn similarity(query: &[f32], stored: &[u8]) -> f32 {
    if query.len() != stored.len() {
        return 0.0;
    }
    let dot: f32 = query.iter().zip(stored).map(|(q, s)| q * f32::from(*s as i8)).sum();
    let norm = stored.iter().map(|s| f32::from(*s as i8).powi(2)).sum::<f32>().sqrt();
    if norm == 0.0 {
        0.0
    } else {
        dot / norm
    }
}

/// `v` scaled to length 1.
pub fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Reciprocal rank fusion's constant: ranks deep in a list count little, and neither list's
/// scores need to be comparable with the other's.
const RRF_K: f64 = 60.0;

/// Fuses rankings (each best first) of the same kind of id into one, best first.
pub fn fuse<T: Copy + PartialEq>(rankings: &[&[T]]) -> Vec<(T, f64)> {
    let mut scored: Vec<(T, f64)> = Vec::new();
    for ranking in rankings {
        for (rank, id) in ranking.iter().enumerate() {
            let add = 1.0 / (RRF_K + rank as f64 + 1.0);
            match scored.iter_mut().find(|(seen, _)| seen == id) {
                Some((_, score)) => *score += add,
                None => scored.push((*id, add)),
            }
        }
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

/// Greetings, thanks and goodbyes, in the languages the widget speaks: a message made only of
/// these words needs no search.
const SMALL_TALK: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hallo",
    "hola",
    "bonjour",
    "salut",
    "ciao",
    "olá",
    "ola",
    "oi",
    "moin",
    "servus",
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "danke",
    "merci",
    "gracias",
    "grazie",
    "obrigado",
    "obrigada",
    "bye",
    "goodbye",
    "tschüss",
    "adiós",
    "adios",
    "ok",
    "okay",
    "cool",
    "great",
    "nice",
    "good",
    "morning",
    "evening",
    "afternoon",
    "there",
    "much",
    "very",
    "so",
    "yes",
    "no",
    "ja",
    "nein",
    "oui",
    "non",
    "sí",
    "si",
    "sim",
    "não",
    "cheers",
    "bien",
    "super",
    "perfect",
    "perfekt",
    "parfait",
    "vielen",
    "beaucoup",
    "muchas",
    "mille",
    "a",
    "lot",
];

/// Whether `message` is small talk that needs no search of the knowledge.
pub fn is_small_talk(message: &str) -> bool {
    let words: Vec<String> =
        message.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    !words.is_empty() && words.len() <= 6 && words.iter().all(|w| SMALL_TALK.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fusion_rewards_what_both_rankings_agree_on() {
        let words = [1, 2, 3];
        let meaning = [3, 4, 1];
        let fused: Vec<i32> = fuse(&[&words, &meaning]).into_iter().map(|(id, _)| id).collect();
        assert_eq!(fused, [1, 3, 2, 4]);
        assert!(fuse::<i32>(&[]).is_empty());
    }

    #[test]
    fn small_talk_is_told_from_questions() {
        for m in ["Hi!", "thanks a lot :)", "Hallo", "Merci beaucoup", "ok, bye"] {
            assert!(is_small_talk(m), "{m}");
        }
        for m in ["Hi, how do I return an order?", "", "???", "what is Debian", "thanks, and the price?"] {
            assert!(!is_small_talk(m), "{m}");
        }
    }

    proptest! {
        #[test]
        fn stored_vectors_keep_their_similarity(
            a in proptest::collection::vec(-1.0f32..1.0, 384),
            b in proptest::collection::vec(-1.0f32..1.0, 384),
        ) {
            let (a, b) = (unit(a), unit(b));
            let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            prop_assert!((similarity(&a, &quantize(&b)) - exact).abs() < 0.02);
            prop_assert!((similarity(&a, &quantize(&a)) - 1.0).abs() < 0.01);
            prop_assert_eq!(similarity(&a, &quantize(&b[..10])), 0.0);
        }
    }
}
