//! Tokenizer for the inside of an ARM expression (between the outer `[` and `]`).
//!
//! Produces tokens with byte offsets into the *original* string so every later error can point
//! at a character. It must not allocate more than linearly in the input and must never slice a
//! string off a char boundary (it walks `char_indices`).

use super::{ExprError, ExprErrorCode};

/// One token of an expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// A name: function, property or keyword.
    Ident(String),
    /// A string literal, unescaped.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// The end of the expression (offset of the closing `]`).
    End,
}

impl Token {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::LParen => "'('".to_owned(),
            Token::RParen => "')'".to_owned(),
            Token::LBracket => "'['".to_owned(),
            Token::RBracket => "']'".to_owned(),
            Token::Comma => "','".to_owned(),
            Token::Dot => "'.'".to_owned(),
            Token::Ident(name) => format!("name '{name}'"),
            Token::Str(text) => format!("string '{}'", shorten(text)),
            Token::Int(n) => format!("integer {n}"),
            Token::End => "the end of the expression".to_owned(),
        }
    }
}

/// The first 40 characters of `text`, for messages.
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}

/// Splits `inner` (the text between the outer brackets, which starts at byte `base` of the
/// original string) into tokens, ending with [`Token::End`] at `end_offset`.
pub(crate) fn tokenize(
    inner: &str,
    base: usize,
    end_offset: usize,
) -> Result<Vec<(Token, usize)>, ExprError> {
    let mut tokens = Vec::with_capacity(inner.len() / 8 + 2);
    // Byte index in `inner` of the next token; every step ends on a character boundary.
    let mut index = 0;
    while let Some(rest) = inner.get(index..) {
        let Some(ch) = rest.chars().next() else {
            break;
        };
        let offset = base + index;
        let single = match ch {
            '(' => Some(Token::LParen),
            ')' => Some(Token::RParen),
            '[' => Some(Token::LBracket),
            ']' => Some(Token::RBracket),
            ',' => Some(Token::Comma),
            '.' => Some(Token::Dot),
            _ => None,
        };
        let used = if let Some(token) = single {
            tokens.push((token, offset));
            1
        } else if ch.is_whitespace() {
            ch.len_utf8()
        } else if ch == '\'' {
            let (token, used) = lex_string(rest, offset)?;
            tokens.push((token, offset));
            used
        } else if ch.is_ascii_digit() || ch == '-' {
            let (token, used) = lex_int(rest, offset)?;
            tokens.push((token, offset));
            used
        } else if is_ident_start(ch) {
            // The first character is also an identifier character.
            let len = rest
                .char_indices()
                .find(|&(_, c)| !is_ident_continue(c))
                .map_or(rest.len(), |(at, _)| at);
            tokens.push((
                Token::Ident(rest.get(..len).unwrap_or_default().to_owned()),
                offset,
            ));
            len
        } else {
            return Err(ExprError::new(
                ExprErrorCode::Syntax,
                offset,
                format!("unexpected character '{}' in expression", ch.escape_debug()),
            ));
        };
        index += used;
    }
    tokens.push((Token::End, end_offset));
    Ok(tokens)
}

/// The string literal at the start of `rest` (which starts with its opening quote) and the
/// bytes it takes; `''` inside is one quote.
fn lex_string(rest: &str, offset: usize) -> Result<(Token, usize), ExprError> {
    let bytes = rest.as_bytes();
    let mut text = String::new();
    // Byte index of the next unread character of the literal's body.
    let mut at = 1;
    loop {
        let Some(quote) = bytes.get(at..).and_then(|b| memchr::memchr(b'\'', b)) else {
            return Err(ExprError::new(
                ExprErrorCode::Syntax,
                offset,
                "string literal is not closed: add the closing ' (write '' for a quote inside a string)",
            ));
        };
        let close = at + quote;
        // Quotes are ASCII, so both ends of the piece are character boundaries.
        text.push_str(rest.get(at..close).unwrap_or_default());
        if bytes.get(close + 1) == Some(&b'\'') {
            text.push('\'');
            at = close + 2;
        } else {
            return Ok((Token::Str(text), close + 1));
        }
    }
}

/// The integer literal at the start of `rest` (digits, perhaps after a `-`) and the bytes
/// it takes.
fn lex_int(rest: &str, offset: usize) -> Result<(Token, usize), ExprError> {
    let bytes = rest.as_bytes();
    let mut end = usize::from(bytes.first() == Some(&b'-'));
    while bytes.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    let digits = rest.get(..end).unwrap_or_default();
    if digits == "-" {
        return Err(ExprError::new(
            ExprErrorCode::Syntax,
            offset,
            "'-' must be followed by digits (ARM expressions have no operators; use sub())",
        ));
    }
    if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        return Err(ExprError::new(
            ExprErrorCode::Syntax,
            offset,
            "decimal number literals are not supported in ARM expressions; use json('1.5') or float('1.5')",
        ));
    }
    digits
        .parse::<i64>()
        .map(|n| (Token::Int(n), end))
        .map_err(|_| {
            ExprError::new(
                ExprErrorCode::Syntax,
                offset,
                format!("integer literal {digits} is out of the 64-bit range"),
            )
        })
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_offsets_in_the_original_string() {
        let tokens = tokenize("f('a''b', -12)", 1, 15).unwrap();
        assert_eq!(
            tokens,
            vec![
                (Token::Ident("f".into()), 1),
                (Token::LParen, 2),
                (Token::Str("a'b".into()), 3),
                (Token::Comma, 9),
                (Token::Int(-12), 11),
                (Token::RParen, 14),
                (Token::End, 15),
            ]
        );
    }

    #[test]
    fn unterminated_string_points_at_its_quote() {
        let err = tokenize("concat('abc", 1, 12).unwrap_err();
        assert_eq!((err.code, err.offset), (ExprErrorCode::Syntax, 8));
    }

    #[test]
    fn decimals_and_lone_minus_are_syntax_errors() {
        assert_eq!(tokenize("1.5", 1, 4).unwrap_err().offset, 1);
        assert_eq!(tokenize("a(- 1)", 1, 7).unwrap_err().offset, 3);
        assert_eq!(
            tokenize("99999999999999999999", 1, 21).unwrap_err().code,
            ExprErrorCode::Syntax
        );
    }

    #[test]
    fn non_ascii_text_keeps_byte_offsets_and_whole_characters() {
        // 'é' and '名' take 2 and 3 bytes: offsets count bytes of the original string.
        let tokens = tokenize(" é_1 ( '名''x''', 7 ).a", 1, 26).unwrap();
        assert_eq!(
            tokens,
            vec![
                (Token::Ident("é_1".into()), 2),
                (Token::LParen, 7),
                (Token::Str("名'x'".into()), 9),
                (Token::Comma, 19),
                (Token::Int(7), 21),
                (Token::RParen, 23),
                (Token::Dot, 24),
                (Token::Ident("a".into()), 25),
                (Token::End, 26),
            ]
        );
        assert_eq!(tokenize("''''", 1, 5).unwrap()[0].0, Token::Str("'".into()));
        assert_eq!(tokenize("'a''", 1, 5).unwrap_err().offset, 1);
        let err = tokenize("a(名 ! b)", 1, 11).unwrap_err();
        assert_eq!((err.code, err.offset), (ExprErrorCode::Syntax, 7));
        assert_eq!(tokenize("-5.x", 1, 5).unwrap()[0].0, Token::Int(-5));
    }
}
