//! Reading a safetensors file's header: an 8-byte little-endian length, then a
//! JSON object mapping each tensor name to `{"dtype", "shape", "data_offsets"}`
//! (offsets relative to the data after the header), plus an optional
//! `"__metadata__"` object of strings. The JSON reader covers exactly what
//! that header holds (objects, arrays, strings, non-negative integers), so
//! the runtime stays free of a JSON dependency and works without `std`.

use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};

/// One tensor's entry in the header.
#[derive(Debug, PartialEq)]
pub struct Entry {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    /// `[start, end)` within the data section.
    pub range: (usize, usize),
}

/// A parsed header and where the data section starts in the file.
#[derive(Debug)]
pub struct Header {
    pub entries: Vec<Entry>,
    pub metadata: Vec<(String, String)>,
    pub data_start: usize,
}

impl Header {
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Parses the header of `bytes`; the message says what is wrong.
pub fn parse(bytes: &[u8]) -> Result<Header, String> {
    let len_bytes: [u8; 8] = bytes.get(..8).and_then(|b| b.try_into().ok()).ok_or("shorter than 8 bytes")?;
    let len = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|_| String::from("header length overflows"))?;
    let data_start = len
        .checked_add(8)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| format!("the header claims {len} bytes but the file has {}", bytes.len().saturating_sub(8)))?;
    let text = core::str::from_utf8(&bytes[8..data_start]).map_err(|_| String::from("the header is not UTF-8"))?;
    let mut reader = Reader { text: text.as_bytes(), at: 0 };
    let Json::Object(fields) = reader.document()? else {
        return Err("the header is not a JSON object".into());
    };
    let mut header = Header { entries: Vec::new(), metadata: Vec::new(), data_start };
    for (name, value) in fields {
        if name == "__metadata__" {
            header.metadata = strings(value).ok_or("`__metadata__` is not an object of strings")?;
        } else {
            let entry =
                entry(name.clone(), value).ok_or_else(|| format!("the entry of tensor `{name}` is malformed"))?;
            header.entries.push(entry);
        }
    }
    Ok(header)
}

fn entry(name: String, value: Json) -> Option<Entry> {
    let Json::Object(fields) = value else { return None };
    let field = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let Some(Json::String(dtype)) = field("dtype") else { return None };
    let shape = numbers(field("shape")?)?;
    let offsets = numbers(field("data_offsets")?)?;
    let [start, end] = offsets[..] else { return None };
    Some(Entry { name, dtype: dtype.clone(), shape, range: (start, end) })
}

fn numbers(value: &Json) -> Option<Vec<usize>> {
    let Json::Array(items) = value else { return None };
    items.iter().map(|v| if let Json::Number(n) = v { Some(*n) } else { None }).collect()
}

fn strings(value: Json) -> Option<Vec<(String, String)>> {
    let Json::Object(fields) = value else { return None };
    fields.into_iter().map(|(k, v)| if let Json::String(s) = v { Some((k, s)) } else { None }).collect()
}

/// The JSON values a safetensors header uses.
#[derive(Debug, PartialEq)]
enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    String(String),
    Number(usize),
}

/// A recursive-descent reader over the header text.
struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// One value and nothing after it but whitespace (and the padding spaces
    /// writers add to align the data).
    fn document(&mut self) -> Result<Json, String> {
        let value = self.value(0)?;
        self.skip_space();
        match self.text.get(self.at) {
            None => Ok(value),
            Some(_) => Err(self.error("text after the header object")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 8 {
            return Err(self.error("nesting deeper than a safetensors header has"));
        }
        self.skip_space();
        match self.text.get(self.at) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'0'..=b'9') => self.number(),
            _ => Err(self.error("an object, array, string or non-negative integer")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        let mut fields = Vec::new();
        self.at += 1;
        if self.eat(b'}') {
            return Ok(Json::Object(fields));
        }
        loop {
            self.skip_space();
            let key = self.string()?;
            if !self.eat(b':') {
                return Err(self.error("`:` after a key"));
            }
            fields.push((key, self.value(depth + 1)?));
            if self.eat(b'}') {
                return Ok(Json::Object(fields));
            }
            if !self.eat(b',') {
                return Err(self.error("`,` or `}`"));
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        let mut items = vec![];
        self.at += 1;
        if self.eat(b']') {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat(b']') {
                return Ok(Json::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("`,` or `]`"));
            }
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        let mut n: usize = 0;
        while let Some(&c @ b'0'..=b'9') = self.text.get(self.at) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add((c - b'0') as usize))
                .ok_or_else(|| self.error("a number that fits"))?;
            self.at += 1;
        }
        Ok(Json::Number(n))
    }

    fn string(&mut self) -> Result<String, String> {
        if self.text.get(self.at) != Some(&b'"') {
            return Err(self.error("a string"));
        }
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while self.text.get(self.at).is_some_and(|&c| c != b'"' && c != b'\\') {
                self.at += 1;
            }
            // The text is UTF-8 and the run stops at ASCII bytes, so it is whole characters.
            out.push_str(core::str::from_utf8(&self.text[start..self.at]).map_err(|_| self.error("UTF-8"))?);
            match self.text.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                _ => return Err(self.error("the end of the string")),
            }
        }
    }

    /// The character after a backslash (`\uXXXX` with surrogate pairs).
    fn escape(&mut self) -> Result<char, String> {
        let c = *self.text.get(self.at).ok_or_else(|| self.error("an escape"))?;
        self.at += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) {
                    if !(self.eat_raw(b'\\') && self.eat_raw(b'u')) {
                        return Err(self.error("the second half of a surrogate pair"));
                    }
                    let low = self.hex4()?;
                    0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    high
                };
                char::from_u32(code).ok_or_else(|| self.error("a valid character code"))?
            }
            _ => return Err(self.error("a known escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.at..self.at + 4).ok_or_else(|| self.error("four hex digits"))?;
        let text = core::str::from_utf8(digits).map_err(|_| self.error("four hex digits"))?;
        let value = u32::from_str_radix(text, 16).map_err(|_| self.error("four hex digits"))?;
        self.at += 4;
        Ok(value)
    }

    fn skip_space(&mut self) {
        while self.text.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// Skips whitespace, then consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        self.eat_raw(c)
    }

    fn eat_raw(&mut self, c: u8) -> bool {
        let found = self.text.get(self.at) == Some(&c);
        self.at += found as usize;
        found
    }

    fn error(&self, expected: &str) -> String {
        format!("malformed header JSON at byte {}: expected {expected}", self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(data);
        bytes
    }

    #[test]
    fn reads_entries_metadata_and_padding() {
        let text = r#"{"__metadata__":{"relax.module":"d\u00e9mo\n"},"b":{"dtype":"F32","shape":[2, 1],"data_offsets":[0,8]}, "a" : {"dtype":"U8","shape":[],"data_offsets":[8,9]}}   "#;
        let header = parse(&file(text, &[0; 9])).unwrap();
        assert_eq!(header.metadata("relax.module"), Some("démo\n"));
        assert_eq!(header.data_start, 8 + text.len());
        let b = Entry { name: "b".into(), dtype: "F32".into(), shape: vec![2, 1], range: (0, 8) };
        assert_eq!(header.entries[0], b);
        assert_eq!((header.entries[1].name.as_str(), header.entries[1].range), ("a", (8, 9)));
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        assert_eq!(parse(&[1, 2]).unwrap_err(), "shorter than 8 bytes");
        assert_eq!(parse(&file("{}", &[])[..9]).unwrap_err(), "the header claims 2 bytes but the file has 1");
        assert_eq!(parse(&file("[]", &[])).unwrap_err(), "the header is not a JSON object");
        let err = parse(&file(r#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, &[])).unwrap_err();
        assert!(err.starts_with("malformed header JSON at byte 29: expected an object"), "{err}");
        let err = parse(&file(r#"{"a":{"dtype":"F32","shape":[1]}}"#, &[])).unwrap_err();
        assert_eq!(err, "the entry of tensor `a` is malformed");
        let err = parse(&file(r#"{"a":1} x"#, &[])).unwrap_err();
        assert!(err.contains("text after the header object"), "{err}");
    }
}
