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
    let mut tokens = Vec::new();
    let mut chars = inner.char_indices().peekable();
    while let Some(&(index, ch)) = chars.peek() {
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
        if let Some(token) = single {
            chars.next();
            tokens.push((token, offset));
        } else if ch.is_whitespace() {
            chars.next();
        } else if ch == '\'' {
            tokens.push((lex_string(&mut chars, offset)?, offset));
        } else if ch.is_ascii_digit() || ch == '-' {
            tokens.push((lex_int(&mut chars, offset)?, offset));
        } else if is_ident_start(ch) {
            let mut name = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if !is_ident_continue(c) {
                    break;
                }
                name.push(c);
                chars.next();
            }
            tokens.push((Token::Ident(name), offset));
        } else {
            return Err(ExprError::new(
                ExprErrorCode::Syntax,
                offset,
                format!("unexpected character '{}' in expression", ch.escape_debug()),
            ));
        }
    }
    tokens.push((Token::End, end_offset));
    Ok(tokens)
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// Reads `'text'` with `''` as an escaped quote; the opening quote is at `offset`.
fn lex_string(chars: &mut Chars<'_>, offset: usize) -> Result<Token, ExprError> {
    chars.next();
    let mut text = String::new();
    loop {
        match chars.next() {
            Some((_, '\'')) => {
                if matches!(chars.peek(), Some((_, '\''))) {
                    chars.next();
                    text.push('\'');
                } else {
                    return Ok(Token::Str(text));
                }
            }
            Some((_, c)) => text.push(c),
            None => {
                return Err(ExprError::new(
                    ExprErrorCode::Syntax,
                    offset,
                    "string literal is not closed: add the closing ' (write '' for a quote inside a string)",
                ))
            }
        }
    }
}

/// Reads an optionally negative integer starting at `offset`.
fn lex_int(chars: &mut Chars<'_>, offset: usize) -> Result<Token, ExprError> {
    let mut digits = String::new();
    if let Some((_, '-')) = chars.peek() {
        digits.push('-');
        chars.next();
    }
    while let Some(&(_, c)) = chars.peek() {
        if !c.is_ascii_digit() {
            break;
        }
        digits.push(c);
        chars.next();
    }
    if digits == "-" {
        return Err(ExprError::new(
            ExprErrorCode::Syntax,
            offset,
            "'-' must be followed by digits (ARM expressions have no operators; use sub())",
        ));
    }
    if let Some(&(_, '.')) = chars.peek() {
        let mut ahead = chars.clone();
        ahead.next();
        if matches!(ahead.peek(), Some((_, c)) if c.is_ascii_digit()) {
            return Err(ExprError::new(
                ExprErrorCode::Syntax,
                offset,
                "decimal number literals are not supported in ARM expressions; use json('1.5') or float('1.5')",
            ));
        }
    }
    digits.parse::<i64>().map(Token::Int).map_err(|_| {
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
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
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
}
