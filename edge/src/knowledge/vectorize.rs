//! Cloudflare Vectorize, where knowledge too large to compare in the isolate is searched by
//! meaning (`KNOWLEDGE_VECTORS = "vectorize"` and the `VECTORIZE` binding in wrangler.toml).
//!
//! D1 stays the record. Each organization's vectors live in their own namespace, each under
//! its passage's random vector id (never reused), and a match is read back from D1 by that id
//! within the organization and the site before it is used, so a vector left behind by a removed
//! passage is never shown. Removed passages' vectors are deleted by the scheduled run
//! (`knowledge_vectors_gone`, filled by a trigger on every removal).
//!
//! Vectorize runs only on Cloudflare (`wrangler dev --local` has no simulator), so the default
//! compares in the isolate; what can be checked off Cloudflare (the records, the query and
//! reading its answer) is tested here. worker 0.8 has no binding for it: the few calls are
//! declared below.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::d1::serde_wasm_bindgen;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, Env, EnvBinding};

use crate::error::{EdgeError, EdgeResult};

/// The binding's name in wrangler.toml.
const BINDING: &str = "VECTORIZE";
/// The `domain` of a passage every site of the organization answers from.
const EVERY_SITE: &str = "*";
/// Vectors per write, as Vectorize takes them.
const WRITE_BATCH: usize = 1_000;

#[wasm_bindgen]
extern "C" {
    /// The binding's object (workers-types' `Vectorize`).
    #[wasm_bindgen(extends = js_sys::Object)]
    pub type VectorizeIndex;

    #[wasm_bindgen(method, catch)]
    fn query(this: &VectorizeIndex, vector: &JsValue, options: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn upsert(this: &VectorizeIndex, vectors: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = deleteByIds)]
    fn delete_by_ids(this: &VectorizeIndex, ids: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

impl EnvBinding for VectorizeIndex {
    const TYPE_NAME: &'static str = "VectorizeIndexImpl";

    // The class's name is the runtime's own; whatever is bound as VECTORIZE is taken as one.
    fn get(val: JsValue) -> worker::Result<Self> {
        Ok(val.unchecked_into())
    }
}

/// A passage's vector as Vectorize stores it, under the passage's own vector id.
#[derive(Debug, Serialize, PartialEq)]
pub struct Record<'a> {
    id: String,
    namespace: &'a str,
    values: &'a [f32],
    metadata: Metadata<'a>,
}

#[derive(Debug, Serialize, PartialEq)]
struct Metadata<'a> {
    /// The site it answers for, or [`EVERY_SITE`]; filtered on through a metadata index.
    domain: &'a str,
}

/// The records of an organization's passages: (vector id, its site if it has one, vector).
pub fn records<'a>(org: &'a str, passages: &'a [(String, Option<String>, Vec<f32>)]) -> Vec<Record<'a>> {
    passages
        .iter()
        .map(|(id, domain, values)| Record {
            id: id.clone(),
            namespace: org,
            values,
            metadata: Metadata { domain: domain.as_deref().unwrap_or(EVERY_SITE) },
        })
        .collect()
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct QueryOptions<'a> {
    top_k: u32,
    namespace: &'a str,
    filter: Filter<'a>,
    return_values: bool,
    return_metadata: &'static str,
}

#[derive(Debug, Serialize, PartialEq)]
struct Filter<'a> {
    domain: AnyOf<'a>,
}

#[derive(Debug, Serialize, PartialEq)]
struct AnyOf<'a> {
    #[serde(rename = "$in")]
    any_of: [&'a str; 2],
}

/// A search of one site: the organization's namespace, the site's passages and the
/// organization-wide ones.
fn query_options<'a>(org: &'a str, domain: &'a str, top_k: u32) -> QueryOptions<'a> {
    QueryOptions {
        top_k,
        namespace: org,
        filter: Filter { domain: AnyOf { any_of: [domain, EVERY_SITE] } },
        return_values: false,
        return_metadata: "none",
    }
}

#[derive(Debug, Deserialize)]
pub struct Matches {
    #[serde(default)]
    matches: Vec<Match>,
}

#[derive(Debug, Deserialize)]
struct Match {
    id: String,
    score: f64,
}

/// The vectors matched, best first: (vector id, cosine similarity).
pub fn read_matches(answer: Matches) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = answer.matches.into_iter().map(|m| (m.id, m.score)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

fn index(env: &Env) -> EdgeResult<VectorizeIndex> {
    env.get_binding::<VectorizeIndex>(BINDING).map_err(|e| failed(format!("the {BINDING} binding: {e}")))
}

fn to_js<T: Serialize>(value: &T) -> EdgeResult<JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| failed(format!("a request could not be written: {e}")))
}

async fn settle(call: Result<js_sys::Promise, JsValue>) -> EdgeResult<JsValue> {
    let promise = call.map_err(|e| failed(format!("{e:?}")))?;
    JsFuture::from(promise).await.map_err(|e| failed(format!("{e:?}")))
}

/// The `top_k` passages nearest to `vector` for site `domain` of organization `org`.
pub async fn nearest(env: &Env, org: &str, domain: &str, vector: &[f32], top_k: u32) -> EdgeResult<Vec<(String, f64)>> {
    let index = index(env)?;
    let answer = settle(index.query(&to_js(&vector)?, &to_js(&query_options(org, domain, top_k))?)).await?;
    let answer: Matches =
        serde_wasm_bindgen::from_value(answer).map_err(|e| failed(format!("an unreadable answer: {e}")))?;
    Ok(read_matches(answer))
}

/// Stores (or replaces) the vectors of an organization's passages.
pub async fn put(env: &Env, org: &str, passages: &[(String, Option<String>, Vec<f32>)]) -> EdgeResult<()> {
    if passages.is_empty() {
        return Ok(());
    }
    let index = index(env)?;
    for batch in passages.chunks(WRITE_BATCH) {
        settle(index.upsert(&to_js(&records(org, batch))?)).await?;
    }
    Ok(())
}

/// Deletes the vectors of passages that are gone.
pub async fn forget(env: &Env, ids: &[String]) -> EdgeResult<()> {
    let index = index(env)?;
    for batch in ids.chunks(WRITE_BATCH) {
        settle(index.delete_by_ids(&to_js(&batch)?)).await?;
    }
    Ok(())
}

fn failed(detail: String) -> EdgeError {
    EdgeError::internal(format!("Vectorize: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_keep_each_organization_in_its_namespace_and_name_the_site() {
        let passages =
            vec![("v7".to_owned(), Some("d-1".to_owned()), vec![0.5, -0.5]), ("v8".to_owned(), None, vec![1.0, 0.0])];
        let out = serde_json::to_value(records("org-a", &passages)).unwrap();
        assert_eq!(
            out,
            json!([
                {"id": "v7", "namespace": "org-a", "values": [0.5, -0.5], "metadata": {"domain": "d-1"}},
                {"id": "v8", "namespace": "org-a", "values": [1.0, 0.0], "metadata": {"domain": "*"}},
            ])
        );
    }

    #[test]
    fn a_query_reads_one_namespace_and_the_sites_own_and_organization_wide_passages() {
        let out = serde_json::to_value(query_options("org-a", "d-1", 20)).unwrap();
        assert_eq!(
            out,
            json!({"topK": 20, "namespace": "org-a", "filter": {"domain": {"$in": ["d-1", "*"]}},
                   "returnValues": false, "returnMetadata": "none"})
        );
    }

    #[test]
    fn matches_are_read_best_first() {
        let answer: Matches = serde_json::from_value(json!({"count": 3, "matches": [
            {"id": "a3", "score": 0.71}, {"id": "b1", "score": 0.99}, {"id": "c9", "score": 0.84}
        ]}))
        .unwrap();
        let matched = read_matches(answer);
        let read: Vec<(&str, f64)> = matched.iter().map(|(id, s)| (id.as_str(), *s)).collect();
        assert_eq!(read, [("b1", 0.99), ("c9", 0.84), ("a3", 0.71)]);
        let empty: Matches = serde_json::from_value(json!({"count": 0})).unwrap();
        assert!(read_matches(empty).is_empty());
    }
}
