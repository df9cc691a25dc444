//! JSON: pretty JSON written straight into a buffer, for the long lists of big reports.
//!
//! The text is exactly serde_json's pretty layout (two spaces a level, `": "` after keys, one
//! entry a line, `[]` and `{}` for empty containers), starting a given number of levels deep
//! so that an entry written alone has the text it has inside the whole report. What it saves
//! over serde_json's serializer is the string escape: serde_json looks every byte of every
//! string up in a table, one at a time, and strings (ids, paths, names) are nearly all of a
//! report; here a string is checked for the few bytes JSON escapes in one pass the compiler
//! vectorizes, and copied whole when it has none, as nearly every string has.
//!
//! It serializes what the report's types hold: structs, sequences, maps with string keys,
//! strings, integers, floats, booleans, options and units. Enums with data are refused.

use serde::ser::{self, Impossible, Serialize};

/// A comma, a line break and the indent of 31 levels: the start of every line is a piece of
/// it, written at once.
const LINE_BREAK: &[u8; 64] = b",\n                                                              ";

/// Writes values as pretty JSON into `out`, `level` levels deep.
pub(crate) struct Pretty<'o> {
    out: &'o mut Vec<u8>,
    level: usize,
}

impl<'o> Pretty<'o> {
    /// A writer whose values start `level` levels deep (0: a whole document).
    pub(crate) fn new(out: &'o mut Vec<u8>, level: usize) -> Self {
        Self { out, level }
    }

    /// Ends the line (after a comma unless `first`) and indents the next one at this level.
    fn line(&mut self, first: bool) {
        let from = usize::from(first);
        match LINE_BREAK.get(from..2 + 2 * self.level) {
            Some(piece) => self.out.extend_from_slice(piece),
            None => {
                self.out
                    .extend_from_slice(LINE_BREAK.get(from..2).unwrap_or(b"\n"));
                for _ in 0..self.level {
                    self.out.extend_from_slice(b"  ");
                }
            }
        }
    }

    /// `s` as a JSON string.
    fn string(&mut self, s: &str) -> Result<(), serde_json::Error> {
        if needs_escape(s.as_bytes()) {
            return serde_json::to_writer(&mut *self.out, s);
        }
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
        Ok(())
    }
}

/// Opens a container: `[]` or `{}` at once when it is known to be empty.
fn open<'a, 'o>(
    writer: &'a mut Pretty<'o>,
    len: Option<usize>,
    [opening, closing]: [u8; 2],
) -> Compound<'a, 'o> {
    if len == Some(0) {
        writer.out.extend_from_slice(&[opening, closing]);
        return Compound {
            writer,
            close: None,
            first: true,
        };
    }
    writer.level += 1;
    writer.out.push(opening);
    Compound {
        writer,
        close: Some(closing),
        first: true,
    }
}

/// Whether JSON must escape some byte of `bytes`: a quote, a backslash or a control
/// character (as serde_json escapes: not `/`, not DEL, not non-ASCII). One pass without an
/// early exit, which the compiler turns into vector instructions.
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |found, &b| {
        found | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// An unsigned integer in decimal.
fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            // n % 10 < 10: the cast cannot truncate.
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// A signed integer in decimal.
fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

fn unsupported(what: &str) -> serde_json::Error {
    ser::Error::custom(format!("the report writer does not serialize {what}"))
}

impl<'a, 'o> ser::Serializer for &'a mut Pretty<'o> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Impossible<(), serde_json::Error>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Impossible<(), serde_json::Error>;

    fn serialize_bool(self, v: bool) -> Result<(), serde_json::Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), serde_json::Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), serde_json::Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), serde_json::Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), serde_json::Error> {
        write_i64(self.out, v);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), serde_json::Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), serde_json::Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), serde_json::Error> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), serde_json::Error> {
        write_u64(self.out, v);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut *self.out, &v)
    }

    fn serialize_f64(self, v: f64) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut *self.out, &v)
    }

    fn serialize_char(self, v: char) -> Result<(), serde_json::Error> {
        self.string(v.encode_utf8(&mut [0u8; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), serde_json::Error> {
        self.string(v)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), serde_json::Error> {
        Err(unsupported("bytes"))
    }

    fn serialize_none(self) -> Result<(), serde_json::Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), serde_json::Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), serde_json::Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), serde_json::Error> {
        self.string(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), serde_json::Error> {
        Err(unsupported("enums with data"))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'o>, serde_json::Error> {
        Ok(open(self, len, *b"[]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'o>, serde_json::Error> {
        Ok(open(self, Some(len), *b"[]"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, serde_json::Error> {
        Ok(open(self, Some(len), *b"[]"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, serde_json::Error> {
        Err(unsupported("enums with data"))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'o>, serde_json::Error> {
        Ok(open(self, len, *b"{}"))
    }

    fn serialize_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, serde_json::Error> {
        Ok(open(self, Some(len), *b"{}"))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, serde_json::Error> {
        Err(unsupported("enums with data"))
    }
}

/// An open array or object.
pub(crate) struct Compound<'a, 'o> {
    writer: &'a mut Pretty<'o>,
    /// The closing bracket; None when the container was written whole (`[]`, `{}`).
    close: Option<u8>,
    /// No entry written yet.
    first: bool,
}

impl Compound<'_, '_> {
    /// Starts the next entry's line.
    fn entry(&mut self) {
        self.writer.line(self.first);
        self.first = false;
    }

    fn end(self) -> Result<(), serde_json::Error> {
        if let Some(bracket) = self.close {
            self.writer.level = self.writer.level.saturating_sub(1);
            if !self.first {
                self.writer.line(true);
            }
            self.writer.out.push(bracket);
        }
        Ok(())
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        self.entry();
        value.serialize(&mut *self.writer)
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), serde_json::Error> {
        self.entry();
        let start = self.writer.out.len();
        // A string key is its compact JSON, which is its escaped string.
        serde_json::to_writer(&mut *self.writer.out, key)?;
        if self.writer.out.get(start) == Some(&b'"') {
            Ok(())
        } else {
            Err(unsupported("map keys that are not strings"))
        }
    }

    fn serialize_value<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.writer.out.extend_from_slice(b": ");
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.entry();
        self.writer.string(key)?;
        self.writer.out.extend_from_slice(b": ");
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Compound::end(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pretty(value: &impl Serialize, level: usize) -> String {
        let mut out = Vec::new();
        value.serialize(&mut Pretty::new(&mut out, level)).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// At level 0 the text is serde_json's pretty one, at every depth (deeper than the
    /// ready-made indent too); at level n every line break carries n more levels.
    #[test]
    fn the_layout_is_serde_jsons_pretty_one_at_any_depth() {
        let mut value = json!({"leaf": [1, {"a": "b"}, []], "empty": {}, "n": [-7, 0, 1.5, null]});
        for depth in 0..45 {
            value = if depth % 2 == 0 {
                json!([value, depth, true, false])
            } else {
                json!({ "k": value, "n": depth, "e": [] })
            };
        }
        let text = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(pretty(&value, 0), text);
        assert_eq!(pretty(&value, 3), text.replace('\n', "\n      "));
    }

    /// Strings are escaped as serde_json escapes them, whatever they hold.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut strings: Vec<String> = [
            "",
            "plain /subscriptions/x/resourceGroups/y",
            "quote \" and backslash \\ and slash /",
            "tab\tnew\nline\rfeed\u{c}back\u{8}",
            "\u{0}\u{1}\u{1f}\u{7f} é 日本 🦀",
            "\"",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        strings.extend((0u8..=127).map(|b| format!("x{}y", char::from(b))));
        strings.push("a".repeat(1000) + "\n" + &"b".repeat(33));
        for s in &strings {
            assert_eq!(pretty(s, 0), serde_json::to_string(s).unwrap(), "{s:?}");
            assert_eq!(
                needs_escape(s.as_bytes()),
                pretty(s, 0) != format!("\"{s}\"")
            );
        }
        let keys = json!({"k\"ey\n": "v", "é": 1});
        assert_eq!(
            pretty(&keys, 0),
            serde_json::to_string_pretty(&keys).unwrap()
        );
    }

    #[test]
    fn integers_of_every_width_and_sign() {
        #[derive(serde::Serialize)]
        struct Numbers {
            a: u8,
            b: u16,
            c: u32,
            d: u64,
            e: i8,
            f: i16,
            g: i32,
            h: i64,
            i: usize,
            j: Option<u32>,
            k: Option<u32>,
            l: char,
            m: (u8, &'static str),
        }
        for (small, big) in [(0, 0), (1, 9), (7, 10), (255, 99999), (128, 1 << 40)] {
            let numbers = Numbers {
                a: small,
                b: u16::from(small) * 257,
                c: u32::MAX,
                d: u64::MAX - big,
                e: i8::MIN,
                f: -i16::from(small),
                g: i32::MIN,
                h: i64::MIN + i64::try_from(big).unwrap(),
                i: usize::try_from(big).unwrap(),
                j: None,
                k: Some(u32::from(small)),
                l: '"',
                m: (small, "t"),
            };
            assert_eq!(
                pretty(&numbers, 0),
                serde_json::to_string_pretty(&numbers).unwrap()
            );
        }
    }

    #[test]
    fn enums_with_data_and_bytes_are_refused() {
        #[derive(serde::Serialize)]
        enum E {
            Unit,
            Data(u8),
        }
        assert_eq!(pretty(&E::Unit, 0), "\"Unit\"");
        let mut out = Vec::new();
        assert!(E::Data(1).serialize(&mut Pretty::new(&mut out, 0)).is_err());
        assert!(serde_bytes_like()
            .serialize(&mut Pretty::new(&mut out, 0))
            .is_err());
    }

    /// A value that serializes as bytes.
    fn serde_bytes_like() -> impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(b"ab")
            }
        }
        Bytes
    }
}
