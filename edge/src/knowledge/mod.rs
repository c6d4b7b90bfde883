//! What the assistant answers from beyond its prompt: the owner's websites, documents and
//! knowledge entries, cut into passages, embedded, and searched by words and by meaning for
//! every visitor's question.
//!
//! `html` and `chunks` turn pages and documents into passages; `embeddings` asks the provider
//! for vectors; `ranking` scores and fuses; `crawl` walks a website from the queue; the store
//! (`store/sources.rs`) keeps it all, per organization.

pub mod chunks;
pub mod crawl;
pub mod embeddings;
pub mod html;
pub mod ranking;
pub mod robots;
pub mod vectorize;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use futures_util::future::join3;
use shared::admin::knowledge::{DocumentFormat, KnowledgeKind, KnowledgeView, SearchHit, SearchMode};
use shared::SourceRef;
use worker::Env;

use crate::clock::now_ms;
use crate::error::{log_error, EdgeResult};
use crate::ids::{DomainId, OrgId, SourceId};
use crate::settings::{EmbeddingSettings, Settings, VectorStore};
use crate::store::{ChunkOrigin, ChunkPlace, ChunkRow, Directory, NewChunk, OrgStore};
use chunks::Chunk;
use embeddings::Purpose;

/// Passages read from each ranking before they are fused.
const CANDIDATES: u32 = 20;
/// Passages given to the model with a question, at most, and their characters in all (about
/// 1,500 tokens).
pub const PASSAGES: usize = 5;
pub const PASSAGES_BUDGET_CHARS: usize = 6_000;

thread_local! {
    /// Sites this isolate has seen holding passages (by their last message's context read).
    static WITH_PASSAGES: RefCell<HashSet<DomainId>> = RefCell::new(HashSet::new());
    /// Sites' embedded passages, by the version of their knowledge, so a question is compared
    /// with them in memory rather than read from D1 each time.
    static HELD: RefCell<HashMap<DomainId, Held>> = RefCell::new(HashMap::new());
}

thread_local! {
    /// Questions' embeddings, the newest [`ASKED_MAX`] kept: a question asked again (a starter,
    /// a site's common question) is not sent to the provider again. Kept per organization, so
    /// how fast a question is answered tells nothing of what another organization's visitors
    /// asked, and by a hash, so visitors' words are not held. A map and a queue rather than an
    /// LRU crate: first in, first out is enough here and costs the worker no code.
    static ASKED: RefCell<Asked> = RefCell::new(Asked::default());
}

/// Questions whose embeddings the isolate keeps (384 floats and a key each: about 3 MB).
const ASKED_MAX: usize = 2_000;

#[derive(Default)]
struct Asked {
    vectors: HashMap<u64, Rc<Vec<f32>>>,
    order: VecDeque<u64>,
}

/// The question's embedding, from the isolate if the organization's visitors asked it before,
/// and how long the provider took (0 when it was not asked). `None` if the provider failed.
async fn question_vector(
    settings: &EmbeddingSettings,
    env: &Env,
    org: OrgId,
    question: &str,
) -> Option<(Rc<Vec<f32>>, i64)> {
    // The same words however they are spaced are the same question, and are embedded as such.
    let question = question.split_whitespace().collect::<Vec<_>>().join(" ");
    let key = {
        let mut h = std::hash::DefaultHasher::new();
        (org, &question).hash(&mut h);
        h.finish()
    };
    if let Some(v) = ASKED.with(|a| a.borrow().vectors.get(&key).cloned()) {
        return Some((v, 0));
    }
    let started = now_ms();
    let vector = match embeddings::embed(settings, env, std::slice::from_ref(&question), Purpose::Query).await {
        Ok(mut v) => Rc::new(v.pop()?),
        Err(e) => {
            log_error(&format!("searching by words only: {}", e.message));
            return None;
        }
    };
    let took = now_ms() - started;
    ASKED.with(|a| {
        let mut a = a.borrow_mut();
        if a.vectors.insert(key, vector.clone()).is_none() {
            a.order.push_back(key);
        }
        while a.order.len() > ASKED_MAX {
            if let Some(oldest) = a.order.pop_front() {
                a.vectors.remove(&oldest);
            }
        }
    });
    Some((vector, took))
}

/// Bytes of passages and embeddings the isolate keeps, for all sites together (an isolate has
/// 128 MB).
const HELD_BYTES: usize = 24 * 1024 * 1024;

struct Held {
    version: String,
    passages: Rc<Vec<(ChunkRow, Vec<u8>)>>,
    bytes: usize,
}

/// Which passages a search may compare the question with.
#[derive(Debug, Clone, Copy)]
pub enum Freshness<'a> {
    /// Those the isolate holds, whatever their version; the caller checks the version after.
    Held,
    /// Those of this version of the site's knowledge.
    Version(&'a str),
    /// Read again.
    Read,
}

/// The site's embedded passages as `fresh` allows, and their version.
async fn embedded(
    store: &OrgStore,
    domain: DomainId,
    fresh: Freshness<'_>,
) -> EdgeResult<(String, Rc<Vec<(ChunkRow, Vec<u8>)>>)> {
    let held = HELD.with(|h| {
        let h = h.borrow();
        let held = h.get(&domain)?;
        match fresh {
            Freshness::Held => Some((held.version.clone(), held.passages.clone())),
            Freshness::Version(v) if v == held.version => Some((held.version.clone(), held.passages.clone())),
            _ => None,
        }
    });
    if let Some(held) = held {
        return Ok(held);
    }
    let (version, passages) = store.embedded_passages(domain).await?;
    let bytes = passages.iter().map(|(c, e)| c.content.len() + c.heading.len() + c.title.len() + e.len() + 64).sum();
    let passages = Rc::new(passages);
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        h.remove(&domain);
        let total: usize = h.values().map(|held| held.bytes).sum();
        if total + bytes > HELD_BYTES {
            h.clear();
        }
        if bytes <= HELD_BYTES {
            h.insert(domain, Held { version: version.clone(), passages: passages.clone(), bytes });
        }
    });
    Ok((version, passages))
}

/// Whether the site's last message found passages to search: its next question is searched
/// before the context read says so again.
pub fn known_to_have_passages(domain: DomainId) -> bool {
    WITH_PASSAGES.with(|s| s.borrow().contains(&domain))
}

/// What the context read said of the site's passages.
pub fn remember_passages(domain: DomainId, has: bool) {
    WITH_PASSAGES.with(|s| {
        let mut s = s.borrow_mut();
        if has {
            s.insert(domain);
        } else {
            s.remove(&domain);
        }
    });
}

/// A passage found for a question.
#[derive(Debug, Clone)]
pub struct Found {
    pub chunk: ChunkRow,
    pub score: f64,
    pub similarity: Option<f64>,
}

impl From<Found> for SearchHit {
    fn from(f: Found) -> Self {
        Self {
            source_id: f.chunk.source_id,
            title: f.chunk.title,
            url: f.chunk.url,
            heading: f.chunk.heading,
            content: f.chunk.content,
            score: f.score,
            similarity: f.similarity,
        }
    }
}

/// What a search found: passages best first, the best similarity to the question if it was
/// searched by meaning, and the version of the knowledge it compared it with.
#[derive(Debug, Default)]
pub struct Search {
    pub found: Vec<Found>,
    pub best_similarity: Option<f64>,
    /// How far the best passage stands above the [`MARGIN_RANK`]th, when the site has that many.
    pub margin: Option<f64>,
    pub version: Option<String>,
    /// How long the provider took to embed the question (0 when the isolate knew it); `None`
    /// when it was not embedded.
    pub embed_ms: Option<i64>,
}

/// The rank the best passage's lead is measured against: a question the knowledge answers has
/// a few passages well ahead of the rest; one it does not, a flat field of near misses.
pub const MARGIN_RANK: usize = 10;

/// When the knowledge covers a question, by meaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage {
    /// The best passage's similarity at least.
    pub min_similarity: f64,
    /// And, where a site has [`MARGIN_RANK`] passages, its lead over the tenth at least.
    pub min_margin: f64,
}

impl Search {
    /// Whether the knowledge covers the question: by meaning, the best passage is close enough
    /// and stands out; by words alone, anything matched.
    pub fn covered(&self, c: Coverage) -> bool {
        match self.best_similarity {
            Some(s) => s >= c.min_similarity && self.margin.is_none_or(|m| m >= c.min_margin),
            None => !self.found.is_empty(),
        }
    }

    /// The passages for the prompt (within [`PASSAGES`] and [`PASSAGES_BUDGET_CHARS`]) and
    /// their sources, each once, in order.
    pub fn for_prompt(self) -> (Vec<Found>, Vec<SourceRef>) {
        let mut room = PASSAGES_BUDGET_CHARS;
        let mut passages = Vec::new();
        for f in self.found {
            let size = f.chunk.content.len() + f.chunk.heading.len();
            if passages.len() == PASSAGES || size > room {
                continue;
            }
            room -= size;
            passages.push(f);
        }
        let mut sources: Vec<SourceRef> = Vec::new();
        for p in &passages {
            if !sources.iter().any(|s| s.id == p.chunk.source_id && s.url == p.chunk.url) {
                sources.push(SourceRef {
                    id: p.chunk.source_id.clone(),
                    title: p.chunk.title.clone(),
                    url: p.chunk.url.clone(),
                });
            }
        }
        (passages, sources)
    }
}

/// The words of a question as an FTS5 query: each word a quoted term, any of them matching
/// (BM25 ranks those with more and rarer words first). `None` if it has no words.
pub fn words_query(question: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    for w in question.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 2) {
        let w = w.to_lowercase();
        if !words.contains(&w) && words.len() < 24 {
            words.push(w);
        }
    }
    (!words.is_empty()).then(|| words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" OR "))
}

/// A question to search a site's knowledge for.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub domain: DomainId,
    pub text: &'a str,
    pub mode: SearchMode,
    /// Passages wanted, at most.
    pub limit: usize,
    pub fresh: Freshness<'a>,
}

/// Searches the site's knowledge (its own sources and the organization's for every site) for
/// `question`. Without an embeddings provider, or when it fails, the search is by words only.
pub async fn search(store: &OrgStore, env: &Env, settings: &Settings, asked: Question<'_>) -> EdgeResult<Search> {
    let Question { domain, text: question, mode, limit, fresh } = asked;
    let by_words = async {
        match (mode, words_query(question)) {
            (SearchMode::Semantic, _) | (_, None) => Ok(Vec::new()),
            (_, Some(q)) => store.search_words(domain, &q, CANDIDATES).await,
        }
    };
    let embedder = settings.embeddings.as_ref().filter(|_| mode != SearchMode::Lexical);
    let in_isolate = embedder.is_some() && settings.vectors == VectorStore::D1;
    let question_vector = async { question_vector(embedder?, env, store.org_id(), question).await };
    let stored = async {
        match in_isolate {
            true => embedded(store, domain, fresh).await.map(Some),
            false => Ok(None),
        }
    };
    let (words, embedded_question, stored) = join3(by_words, question_vector, stored).await;
    let embed_ms = embedded_question.as_ref().map(|(_, ms)| *ms);
    let question_vector = embedded_question.map(|(v, _)| v);
    let words = words?;
    let stored = stored?;
    let version = stored.as_ref().map(|(v, _)| v.clone());
    let passages: &[(ChunkRow, Vec<u8>)] = stored.as_ref().map_or(&[], |(_, p)| p.as_slice());
    let (mut meaning, nearest): (Vec<(i64, f64)>, Vec<ChunkRow>) = match &question_vector {
        None => (Vec::new(), Vec::new()),
        Some(q) if in_isolate => {
            (passages.iter().map(|(c, e)| (c.id, f64::from(ranking::similarity(q, e)))).collect(), Vec::new())
        }
        Some(q) => match by_vectorize(store, env, domain, q).await {
            Ok(found) => found,
            Err(e) => {
                log_error(&format!("searching by words only: {}", e.message));
                (Vec::new(), Vec::new())
            }
        },
    };
    meaning.sort_by(|a, b| b.1.total_cmp(&a.1));
    let margin = match (meaning.first(), meaning.get(MARGIN_RANK - 1)) {
        (Some((_, best)), Some((_, nth))) => Some(best - nth),
        _ => None,
    };
    meaning.truncate(CANDIDATES as usize);
    let best_similarity = meaning.first().map(|(_, s)| *s).or(question_vector.as_ref().map(|_| 0.0));
    let similarity_of = |id: i64| meaning.iter().find(|(m, _)| *m == id).map(|(_, s)| *s);
    let ranked: Vec<(i64, f64)> = match mode {
        SearchMode::Lexical => words.iter().map(|(c, s)| (c.id, *s)).collect(),
        SearchMode::Semantic => meaning.clone(),
        SearchMode::Hybrid => {
            let by_words: Vec<i64> = words.iter().map(|(c, _)| c.id).collect();
            let by_meaning: Vec<i64> = meaning.iter().map(|(id, _)| *id).collect();
            ranking::fuse(&[&by_words, &by_meaning])
        }
    };
    let found = ranked
        .into_iter()
        .take(limit)
        .filter_map(|(id, score)| {
            let chunk = words
                .iter()
                .map(|(c, _)| c)
                .chain(passages.iter().map(|(c, _)| c))
                .chain(nearest.iter())
                .find(|c| c.id == id)?;
            Some(Found { chunk: chunk.clone(), score, similarity: similarity_of(id) })
        })
        .collect();
    Ok(Search { found, best_similarity, margin, version, embed_ms })
}

/// The passages Vectorize finds nearest to the question, with their similarity, as D1 has them:
/// only those still stored, of this organization and this site (or all its sites), count.
async fn by_vectorize(
    store: &OrgStore,
    env: &Env,
    domain: DomainId,
    question: &[f32],
) -> EdgeResult<(Vec<(i64, f64)>, Vec<ChunkRow>)> {
    let org = store.org_id().to_string();
    let near = vectorize::nearest(env, &org, &domain.to_string(), question, CANDIDATES).await?;
    let ids: Vec<String> = near.iter().map(|(id, _)| id.clone()).collect();
    let rows = store.chunks_by_vector(domain, &ids).await?;
    let meaning = near
        .into_iter()
        .filter_map(|(vector, score)| rows.iter().find(|(v, _)| *v == vector).map(|(_, c)| (c.id, score)))
        .collect();
    Ok((meaning, rows.into_iter().map(|(_, c)| c).collect()))
}

/// A document's text as passages, by its format.
pub fn document_chunks(format: DocumentFormat, content: &str) -> (Option<String>, Vec<Chunk>) {
    match format {
        DocumentFormat::Markdown => (None, chunks::chunk(&chunks::markdown(content))),
        DocumentFormat::Text => (None, chunks::chunk(&chunks::plain(content))),
        DocumentFormat::Html => {
            let page = html::read(content);
            (page.title, chunks::chunk(&page.parts))
        }
    }
}

/// Embeds `chunks` (each with its title and headings, which say what it is about) and stores
/// them as the passages of `origin`, replacing what it had (and their vectors in Vectorize when
/// it is on). Without a provider they are stored for the search by words alone.
pub async fn index(
    store: &OrgStore,
    env: &Env,
    settings: &Settings,
    place: ChunkPlace<'_>,
    chunks: Vec<Chunk>,
) -> EdgeResult<usize> {
    index_with(store, env, settings.embeddings.as_ref(), settings.vectors, place, chunks).await
}

async fn index_with(
    store: &OrgStore,
    env: &Env,
    embeddings: Option<&EmbeddingSettings>,
    vector_store: VectorStore,
    place: ChunkPlace<'_>,
    chunks: Vec<Chunk>,
) -> EdgeResult<usize> {
    let title = place.title;
    let mut vectors: Vec<Option<Vec<f32>>> = vec![None; chunks.len()];
    if let Some(e) = embeddings {
        let inputs: Vec<String> = chunks
            .iter()
            .map(|c| match c.heading.is_empty() {
                true => format!("{title}\n\n{}", c.content),
                false => format!("{title} › {}\n\n{}", c.heading, c.content),
            })
            .collect();
        for (i, batch) in inputs.chunks(embeddings::BATCH).enumerate() {
            for (j, v) in embeddings::embed(e, env, batch, Purpose::Passage).await?.into_iter().enumerate() {
                vectors[i * embeddings::BATCH + j] = Some(v);
            }
        }
    }
    let n = chunks.len();
    let new: Vec<NewChunk> = chunks
        .into_iter()
        .zip(&vectors)
        .map(|(chunk, v)| NewChunk { chunk, embedding: v.as_deref().map(ranking::quantize) })
        .collect();
    let mut stored = Vec::new();
    // D1 takes a bounded number of statements per batch.
    for (i, part) in new.chunks(50).enumerate() {
        stored.extend(store.put_chunks(place, part, i == 0).await?);
    }
    if new.is_empty() {
        store.put_chunks(place, &[], true).await?;
    }
    if vector_store == VectorStore::Vectorize {
        let records: Vec<(String, Option<String>, Vec<f32>)> =
            stored.into_iter().zip(vectors).filter_map(|(s, v)| Some((s.vector_id?, s.domain_id, v?))).collect();
        vectorize::put(env, &store.org_id().to_string(), &records).await?;
    }
    Ok(n)
}

/// Indexes an active FAQ or custom entry as its source's passages (an FAQ's answer under its
/// question, a custom entry's text along its headings) and marks the source ready. If the
/// embeddings provider fails, the entry is stored for the search by words (so neither it nor a
/// stale version is lost to visitors) and left queued, with why, for the scheduled run to embed.
/// A system prompt entry, or an inactive one, has none.
pub async fn index_entry(store: &OrgStore, env: &Env, settings: &Settings, entry: &KnowledgeView) -> EdgeResult<()> {
    let Some(id) = crate::ids::KnowledgeId::parse(&entry.id) else {
        return Ok(());
    };
    let parts = match entry.kind {
        KnowledgeKind::SystemPrompt => return Ok(()),
        _ if !entry.active => return Ok(()),
        KnowledgeKind::Faq => chunks::plain(&entry.content),
        KnowledgeKind::Custom => chunks::markdown(&entry.content),
    };
    let source = SourceId::from(id);
    let place = ChunkPlace { source, origin: ChunkOrigin::Document, title: &entry.title, url: None };
    let passages = chunks::chunk(&parts);
    match index(store, env, settings, place, passages.clone()).await {
        Ok(_) => store.finish_source(source, None).await,
        Err(e) => {
            index_with(store, env, None, settings.vectors, place, passages).await?;
            let why = format!("Searched by words only until it can be embedded: {}", e.message);
            store.requeue_source(source, &why).await
        }
    }
}

/// Entries indexed per scheduled run, at most.
const ENTRIES_PER_RUN: u32 = 500;
/// Time a scheduled run spends on entries, at most (a provider that hangs must not hold it).
const ENTRIES_TIME_MS: i64 = 60_000;
/// An entry's source queued this long ago is no longer being indexed by the request that saved it.
const ENTRY_INDEXING_MS: i64 = 60_000;

/// Indexes the entries whose sources wait in the queued state: those written before entries
/// were sources, and any whose request ended before it indexed them.
pub async fn index_queued_entries(env: &Env, directory: &Directory, settings: &Settings) -> EdgeResult<()> {
    let started = now_ms();
    let waited_since = started - ENTRY_INDEXING_MS;
    for (org, id) in directory.entries_queued(waited_since, ENTRIES_PER_RUN).await? {
        if now_ms() - started > ENTRIES_TIME_MS {
            break;
        }
        let store = OrgStore::for_queued_work(env.d1("DB")?, org);
        // Claimed first, so two runs (or a run and a slow save) never index one entry at once.
        if !store.claim_queued_entry(SourceId::from(id), waited_since).await? {
            continue;
        }
        if let Some(entry) = store.knowledge(id).await? {
            index_entry(&store, env, settings, &entry).await?;
        }
    }
    Ok(())
}

/// Vectors deleted per scheduled run, at most.
const VECTORS_FORGOTTEN_PER_RUN: u32 = 5_000;

/// Deletes from Vectorize the vectors of passages removed since the last run; without it,
/// there are none to delete.
pub async fn forget_removed_vectors(env: &Env, directory: &Directory, settings: &Settings) -> EdgeResult<()> {
    if settings.vectors != VectorStore::Vectorize {
        return directory.vectors_forgotten(None).await;
    }
    let gone = directory.vectors_gone(VECTORS_FORGOTTEN_PER_RUN).await?;
    if !gone.is_empty() {
        vectorize::forget(env, &gone).await?;
        directory.vectors_forgotten(Some(&gone)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_become_quoted_terms_any_of_which_match() {
        assert_eq!(
            words_query("How do I upgrade? upgrade \"now\" OR NEAR(x)").as_deref(),
            Some("\"how\" OR \"do\" OR \"upgrade\" OR \"now\" OR \"or\" OR \"near\"")
        );
        assert_eq!(words_query("? ! a"), None);
        assert_eq!(
            words_query("Wie aktualisiere ich Debian?").as_deref(),
            Some("\"wie\" OR \"aktualisiere\" OR \"ich\" OR \"debian\"")
        );
    }
}
