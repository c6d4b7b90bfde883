//! What the benchmarks share: compressed sizes as a server would send them, and the median
//! and 95th percentile of a set of timings, and the steps a `Server-Timing` header reports.

use std::io::Write;

pub fn gzip(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip").len()
}

pub fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("brotli");
    out.len()
}

pub fn median_p95(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.95))
}

/// `admit;dur=1, context;dur=3` as (step, milliseconds).
pub fn server_timing(header: &str) -> Vec<(String, f64)> {
    header
        .split(',')
        .filter_map(|part| {
            let (name, dur) = part.trim().split_once(";dur=")?;
            Some((name.to_owned(), dur.parse().ok()?))
        })
        .collect()
}

/// The median of each step the edge reported in `Server-Timing`, in the order it reported them.
pub fn step_medians(runs: &[Vec<(String, f64)>]) -> Vec<(String, f64)> {
    let Some(names) = runs.first() else { return Vec::new() };
    names
        .iter()
        .map(|(name, _)| {
            let mut xs: Vec<f64> =
                runs.iter().filter_map(|r| r.iter().find(|(n, _)| n == name).map(|(_, d)| *d)).collect();
            xs.sort_by(f64::total_cmp);
            (name.clone(), xs[xs.len() / 2])
        })
        .collect()
}
