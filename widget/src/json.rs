//! JSON as the widget reads and writes it, by hand. Not serde: serde_json and the derived
//! visitors (with the float printing their error messages pull in) were a fifth of the widget's
//! wasm. The reader keeps what the edge's JSON uses (integers, strings, arrays, objects); the
//! writer writes flat objects of strings. `wire` maps the edge's types onto these.

/// A parsed JSON document. Numbers keep only what the wire uses: integers (`None` for others).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Option<i64>),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Nesting beyond this is not something the edge sends; refusing it keeps the stack bounded.
const MAX_DEPTH: usize = 32;

impl Json {
    pub fn parse(text: &str) -> Option<Self> {
        let mut p = Parser { s: text.as_bytes(), i: 0 };
        let value = p.value(0)?;
        p.ws();
        (p.i == p.s.len()).then_some(value)
    }

    /// A member of an object (the first, if a name repeats).
    pub fn get(&self, name: &str) -> Option<&Json> {
        match self {
            Self::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A member that is a string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name)?.as_str().map(str::to_owned)
    }

    /// A member that is a whole number.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Self::Number(n) => *n,
            _ => None,
        }
    }

    pub fn u32(&self, name: &str) -> Option<u32> {
        u32::try_from(self.int(name)?).ok()
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        let hit = self.s.get(self.i) == Some(&b);
        self.i += usize::from(hit);
        hit
    }

    fn literal(&mut self, word: &str, value: Json) -> Option<Json> {
        self.s[self.i..].starts_with(word.as_bytes()).then(|| {
            self.i += word.len();
            value
        })
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.s.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let name = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        members.push((name, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Json::Object(members))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Json::Array(items))
            }
            b'"' => self.string().map(Json::Str),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Json> {
        let negative = self.s[self.i] == b'-';
        self.i += usize::from(negative);
        let mut value: Option<i64> = Some(0);
        let digits = self.i;
        while let Some(d @ b'0'..=b'9') = self.s.get(self.i) {
            value = value.and_then(|v| v.checked_mul(10)?.checked_add(i64::from(d - b'0')));
            self.i += 1;
        }
        if self.i == digits {
            return None;
        }
        let mut integer = true;
        while let Some(b'.' | b'e' | b'E' | b'+' | b'-' | b'0'..=b'9') = self.s.get(self.i) {
            integer = false;
            self.i += 1;
        }
        let value = value.filter(|_| integer).map(|v| if negative { -v } else { v });
        Some(Json::Number(value))
    }

    /// A string starting at the opening quote. The input is a `&str`, so copying the bytes
    /// between escapes keeps it valid UTF-8.
    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let c = match e {
                        b'"' | b'\\' | b'/' => char::from(e),
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return None,
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => out.push(b),
            }
        }
    }

    /// The character of a `\uXXXX` escape (after the `u`), joining a surrogate pair; a lone
    /// surrogate becomes U+FFFD, as browsers decode it.
    fn escaped_char(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return Some(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        if self.s[self.i..].starts_with(b"\\u") {
            let at = self.i;
            self.i += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                return char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
            }
            self.i = at;
        }
        Some(char::REPLACEMENT_CHARACTER)
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        digits.iter().try_fold(0, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
    }
}

/// A value the widget reads from the edge.
pub trait FromJson: Sized {
    fn from_json(v: &Json) -> Option<Self>;
}

pub fn decode<T: FromJson>(text: &str) -> Option<T> {
    T::from_json(&Json::parse(text)?)
}

/// A value the widget sends: flat objects of strings, absent options left out (as the shared
/// types' `skip_serializing_if`), written exactly as serde_json writes them.
pub trait ToJson {
    fn fields(&self) -> Vec<(&'static str, Option<&str>)>;

    fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (name, value) in self.fields() {
            let Some(value) = value else { continue };
            if out.len() > 1 {
                out.push(',');
            }
            quote(&mut out, name);
            out.push(':');
            quote(&mut out, value);
        }
        out.push('}');
        out
    }
}

pub(crate) fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let hex = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(hex[c as usize >> 4]));
                out.push(char::from(hex[c as usize & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_as_other_writers_write_it() {
        let v =
            Json::parse(" {\"a\" : [1, -2, 3.5, 1e3, true, false, null, {}, []], \"b\":\"\\u00e9\\ud83d\\ude80\\/\"} ");
        assert_eq!(
            v,
            Some(Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Number(Some(1)),
                        Json::Number(Some(-2)),
                        Json::Number(None),
                        Json::Number(None),
                        Json::Bool(true),
                        Json::Bool(false),
                        Json::Null,
                        Json::Object(vec![]),
                        Json::Array(vec![]),
                    ])
                ),
                ("b".into(), Json::Str("é🚀/".into())),
            ]))
        );
        assert_eq!(Json::parse(r#""\ud800x""#), Some(Json::Str("\u{fffd}x".into())));
        assert_eq!(Json::parse("99999999999999999999"), Some(Json::Number(None)));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in
            ["", "{", "[1,]", "{\"a\"}", "{\"a\":1,}", "\"open", "tru", "1 2", "-", "\"\\x\"", "\"\\u12\"", "nul"]
        {
            assert_eq!(Json::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Json::parse(&"[".repeat(MAX_DEPTH + 2)), None);
        assert!(Json::parse(&format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH))).is_some());
    }
}
