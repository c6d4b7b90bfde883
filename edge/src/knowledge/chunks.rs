//! Text cut into passages for the index: along headings first, then paragraphs, each passage a
//! few hundred tokens with a little of the one before, and each knowing the headings above it.

/// A piece of a document, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// A heading of level 1 to 6.
    Heading(u8, String),
    Paragraph(String),
}

/// A passage and the headings above it, outermost first, joined by [`HEADING_SEPARATOR`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub heading: String,
    pub content: String,
}

pub const HEADING_SEPARATOR: &str = " › ";
/// About 300 tokens (four characters each): long enough to hold an answer, short enough that
/// a handful fit in the prompt.
const TARGET_CHARS: usize = 1_200;
/// A paragraph longer than this is cut at sentence ends (or spaces).
const MAX_CHARS: usize = 1_600;
/// What a passage repeats of the end of the one before in the same section.
const OVERLAP_CHARS: usize = 200;

/// Markdown's headings (`#` to `######`) and its paragraphs (separated by blank lines; a
/// fenced code block is one paragraph).
pub fn markdown(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut fenced = false;
    let end = |paragraph: &mut Vec<&str>, parts: &mut Vec<Part>| {
        let p = paragraph.join("\n");
        if !p.trim().is_empty() {
            parts.push(Part::Paragraph(p.trim().to_owned()));
        }
        paragraph.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            paragraph.push(line);
            if !fenced {
                end(&mut paragraph, &mut parts);
            }
            continue;
        }
        if fenced {
            paragraph.push(line);
            continue;
        }
        let hashes = trimmed.bytes().take_while(|b| *b == b'#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            end(&mut paragraph, &mut parts);
            let title = trimmed[hashes..].trim().trim_end_matches('#').trim();
            if !title.is_empty() {
                parts.push(Part::Heading(hashes as u8, title.to_owned()));
            }
        } else if trimmed.is_empty() {
            end(&mut paragraph, &mut parts);
        } else {
            paragraph.push(line.trim_end());
        }
    }
    end(&mut paragraph, &mut parts);
    parts
}

/// Plain text's paragraphs, separated by blank lines.
pub fn plain(text: &str) -> Vec<Part> {
    text.split("\n\n")
        .flat_map(|p| p.split("\r\n\r\n"))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Part::Paragraph(p.to_owned()))
        .collect()
}

/// The passages of `parts`: a new one at every heading, and whenever the next paragraph would
/// take it past about 300 tokens.
pub fn chunk(parts: &[Part]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut path: Vec<(u8, String)> = Vec::new();
    let mut current = String::new();
    // Whether `current` holds more than the overlap carried from the passage before.
    let mut fresh = false;
    let heading =
        |path: &[(u8, String)]| path.iter().map(|(_, h)| h.as_str()).collect::<Vec<_>>().join(HEADING_SEPARATOR);
    for part in parts {
        match part {
            Part::Heading(level, title) => {
                if fresh {
                    chunks.push(Chunk { heading: heading(&path), content: std::mem::take(&mut current) });
                }
                current.clear();
                fresh = false;
                path.retain(|(l, _)| l < level);
                path.push((*level, title.clone()));
            }
            Part::Paragraph(p) => {
                for piece in pieces(p) {
                    if fresh && current.len() + piece.len() + 2 > TARGET_CHARS {
                        let done = std::mem::take(&mut current);
                        current = overlap(&done).to_owned();
                        chunks.push(Chunk { heading: heading(&path), content: done });
                    }
                    if !current.is_empty() {
                        current.push_str("\n\n");
                    }
                    current.push_str(piece);
                    fresh = true;
                }
            }
        }
    }
    if fresh {
        chunks.push(Chunk { heading: heading(&path), content: current });
    }
    chunks
}

/// `p` in pieces of at most [`MAX_CHARS`], cut after a sentence where one ends in the second
/// half of a piece, else at a space, else anywhere (on a character boundary).
fn pieces(p: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = p.trim();
    while rest.len() > MAX_CHARS {
        let mut limit = MAX_CHARS;
        while !rest.is_char_boundary(limit) {
            limit -= 1;
        }
        let window = &rest[..limit];
        let cut = window
            .rmatch_indices(['.', '!', '?', '。'])
            .map(|(i, s)| i + s.len())
            .find(|&i| i > limit / 2)
            .or_else(|| window.rfind(char::is_whitespace).filter(|&i| i > 0))
            .unwrap_or(limit);
        out.push(rest[..cut].trim());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// The end of a passage carried into the next: its last [`OVERLAP_CHARS`] or fewer, from a
/// word's start.
fn overlap(text: &str) -> &str {
    if text.len() <= OVERLAP_CHARS {
        return text;
    }
    let mut start = text.len() - OVERLAP_CHARS;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let tail = &text[start..];
    tail.find(char::is_whitespace).map_or(tail, |i| tail[i..].trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_headings_start_passages_that_know_their_path() {
        let parts = markdown(
            "# Shop\nIntro line\n\n## Returns ##\n30 days.\n\n```\n# not a heading\n\ncode\n```\n### By post\nSend it.",
        );
        let chunks = chunk(&parts);
        let seen: Vec<(&str, &str)> = chunks.iter().map(|c| (c.heading.as_str(), c.content.as_str())).collect();
        assert_eq!(
            seen,
            [
                ("Shop", "Intro line"),
                ("Shop › Returns", "30 days.\n\n```\n# not a heading\n\ncode\n```"),
                ("Shop › Returns › By post", "Send it."),
            ]
        );
    }

    #[test]
    fn long_sections_become_overlapping_passages_of_bounded_size() {
        let sentence = "Debian keeps packages in three archive areas called main, contrib and non-free. ";
        let text = sentence.repeat(80);
        let chunks = chunk(&[Part::Heading(1, "Archive".into()), Part::Paragraph(text.clone())]);
        assert!(chunks.len() >= 4, "{}", chunks.len());
        for pair in chunks.windows(2) {
            let tail = overlap(&pair[0].content);
            assert!(!tail.is_empty() && pair[1].content.starts_with(tail), "passages overlap");
        }
        assert!(chunks.iter().all(|c| c.content.len() <= TARGET_CHARS + MAX_CHARS && c.heading == "Archive"));
    }

    #[test]
    fn plain_text_is_cut_at_blank_lines() {
        assert_eq!(
            plain("one\ntwo\n\n\n three \r\n\r\nfour"),
            [Part::Paragraph("one\ntwo".into()), Part::Paragraph("three".into()), Part::Paragraph("four".into())]
        );
    }

    proptest! {
        /// Every word of the document's paragraphs is in some passage, and no passage is empty
        /// or huge.
        #[test]
        fn no_text_is_lost(doc in proptest::collection::vec(("[#]{0,3}", "[a-zé ]{0,30}"), 0..80)) {
            let text: String = doc.iter().map(|(h, w)| format!("{h} {w}\n\n")).collect();
            let chunks = chunk(&markdown(&text));
            let all: String = chunks.iter().map(|c| format!("{} {}", c.heading, c.content)).collect::<Vec<_>>().join(" ");
            let paragraphs = doc.iter().filter(|(h, _)| h.is_empty()).map(|(_, w)| w.as_str());
            for word in paragraphs.flat_map(str::split_whitespace) {
                prop_assert!(all.contains(word), "{word:?} lost");
            }
            for c in &chunks {
                prop_assert!(!c.content.trim().is_empty());
                prop_assert!(c.content.len() <= TARGET_CHARS + MAX_CHARS);
            }
        }

        #[test]
        fn long_paragraphs_are_cut_on_char_boundaries(p in ".{0,4000}") {
            for piece in pieces(&p) {
                prop_assert!(piece.len() <= MAX_CHARS);
            }
        }
    }
}
