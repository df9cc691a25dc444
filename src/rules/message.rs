//! FINDINGS: a finding's message, with the values from the input marked in it.
//!
//! A rule builds its message once and the JSON, HTML and SARIF reports share it, but they do
//! not escape alike: JSON and HTML escape whole strings (serde, askama), while a SARIF
//! plain-text message gives `[`, `]` and `\` a meaning (embedded links, §3.11.6) that
//! jitscan's own words may use and a name must not. So the message is built from words and
//! values, keeps where its values are, and each report escapes the values its own way
//! ([`Message::escaped`] with `escape::sarif_text`). The text stays one string with the value
//! ranges beside it, so reports that want it plain read it as it is, and a finding costs one
//! small list more, not a second copy of its message.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// Text made of jitscan's words and the input's values, the values marked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// The whole text, values as they are.
    text: String,
    /// Byte ranges of `text` that came from the input, in order, not overlapping.
    values: Vec<Range<usize>>,
}

impl Message {
    /// Appends jitscan's own words.
    pub(crate) fn words(&mut self, words: &str) -> &mut Self {
        self.text.push_str(words);
        self
    }

    /// Appends a value from the input (a name, or a reason that quotes the input).
    pub(crate) fn value(&mut self, value: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(value);
        if !value.is_empty() {
            self.values.push(start..self.text.len());
        }
        self
    }

    /// Appends another message, its values still marked.
    pub(crate) fn append(&mut self, other: &Message) -> &mut Self {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.values.extend(
            other
                .values
                .iter()
                .map(|r| r.start + offset..r.end + offset),
        );
        self
    }

    /// Messages one after another with `separator` (jitscan's words) between them.
    pub(crate) fn join(parts: &[Message], separator: &str) -> Message {
        let mut joined = Message::default();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                joined.words(separator);
            }
            joined.append(part);
        }
        joined
    }

    /// The plain text, values as they are.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text with every value put through `escape` and the words left as they are.
    pub fn escaped(&self, escape: impl Fn(&str) -> Cow<'_, str>) -> String {
        let mut out = String::with_capacity(self.text.len() + 8);
        let mut from = 0;
        for range in &self.values {
            out.push_str(self.text.get(from..range.start).unwrap_or_default());
            out.push_str(&escape(self.text.get(range.clone()).unwrap_or_default()));
            from = range.end;
        }
        out.push_str(self.text.get(from..).unwrap_or_default());
        out
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escape::sarif_text;

    #[test]
    fn only_values_are_escaped() {
        let mut via = Message::default();
        via.words("[link](#x) '").value("[a]").words("'");
        let mut message = Message::default();
        message.words("VM '").value("vm\\[1]").words("': ");
        message.append(&Message::join(&[via.clone(), via], ", "));
        assert_eq!(
            message.as_str(),
            "VM 'vm\\[1]': [link](#x) '[a]', [link](#x) '[a]'"
        );
        assert_eq!(
            message.escaped(sarif_text),
            "VM 'vm\\\\\\[1\\]': [link](#x) '\\[a\\]', [link](#x) '\\[a\\]'"
        );
    }
}
