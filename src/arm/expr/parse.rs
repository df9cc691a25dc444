//! Recursive-descent parser: tokens to [`Expr`].
//!
//! Grammar (ARM has no operators, only calls):
//! ```text
//! expression := "[" expr "]"
//! expr       := primary ( "." name | "[" expr "]" )*
//! primary    := string | integer | true | false | null | name "(" args ")" | name "." name "(" args ")"
//! args       := ( expr ( "," expr )* )?
//! ```
//! Nesting is bounded by [`MAX_PARSE_DEPTH`] (calls, property accesses and indexes all count),
//! so neither parsing nor the evaluator's recursion over the tree can exhaust the stack.
//! Function names are checked here, so a typo is reported even inside an untaken `if` branch.

use super::functions;
use super::lex::{tokenize, Token};
use super::{Expr, ExprError, ExprErrorCode, MAX_EXPRESSION_BYTES, MAX_PARSE_DEPTH};

/// Parses a whole expression string including the outer brackets.
/// Nesting deeper than `max_depth` (at most [`MAX_PARSE_DEPTH`]; less when the expression is
/// evaluated inside other evaluations) is a `too-deep` error.
pub(crate) fn parse_expression(s: &str, max_depth: usize) -> Result<Expr, ExprError> {
    if s.len() > MAX_EXPRESSION_BYTES {
        return Err(ExprError::new(
            ExprErrorCode::TooLarge,
            0,
            format!(
                "expression is {} bytes long; the limit is {MAX_EXPRESSION_BYTES} bytes",
                s.len()
            ),
        ));
    }
    if !super::is_expression(s) {
        return Err(ExprError::new(
            ExprErrorCode::Syntax,
            0,
            "not an expression: an expression starts with '[' (but not '[[') and ends with ']'",
        ));
    }
    let end = s.len() - 1;
    let inner = s.get(1..end).unwrap_or_default();
    let tokens = tokenize(inner, 1, end)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        max_depth: max_depth.min(MAX_PARSE_DEPTH),
    };
    if parser.peek() == &Token::End {
        return Err(ExprError::new(
            ExprErrorCode::Syntax,
            end,
            "empty expression: write a function call between the brackets",
        ));
    }
    let expr = parser.expr(1)?;
    match parser.peek() {
        Token::End => Ok(expr),
        other => Err(ExprError::new(
            ExprErrorCode::Syntax,
            parser.offset(),
            format!(
                "unexpected {} after the end of the expression",
                other.describe()
            ),
        )),
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    max_depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).map_or(&Token::End, |(t, _)| t)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        self.tokens
            .get(self.pos + ahead)
            .map_or(&Token::End, |(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .map_or(0, |(_, o)| *o)
    }

    /// Consumes and returns the current token with its offset. The token is moved out (a
    /// consumed token is never read again; its offset stays for messages).
    fn bump(&mut self) -> (Token, usize) {
        let offset = self.offset();
        let item = match self.tokens.get_mut(self.pos) {
            Some((token, at)) => (std::mem::replace(token, Token::End), *at),
            None => (Token::End, offset),
        };
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        item
    }

    fn too_deep(&self) -> ExprError {
        ExprError::new(
            ExprErrorCode::TooDeep,
            self.offset(),
            format!(
                "expression nesting is deeper than {} levels{}",
                self.max_depth,
                if self.max_depth < MAX_PARSE_DEPTH {
                    " (what is left inside the variables and parameters that use it)"
                } else {
                    ""
                }
            ),
        )
    }

    fn syntax(&self, message: String) -> ExprError {
        ExprError::new(ExprErrorCode::Syntax, self.offset(), message)
    }

    /// `expr := primary postfix*`, at nesting `depth`.
    fn expr(&mut self, depth: usize) -> Result<Expr, ExprError> {
        if depth > self.max_depth {
            return Err(self.too_deep());
        }
        let mut expr = self.primary(depth)?;
        let mut level = depth;
        loop {
            match self.peek() {
                Token::Dot | Token::LBracket => {}
                _ => return Ok(expr),
            }
            level += 1;
            if level > self.max_depth {
                return Err(self.too_deep());
            }
            expr = self.postfix(expr, level)?;
        }
    }

    /// One `.name` or `[expr]` applied to `target`.
    fn postfix(&mut self, target: Expr, level: usize) -> Result<Expr, ExprError> {
        let (token, offset) = self.bump();
        if token == Token::Dot {
            return match self.bump() {
                (Token::Ident(name), name_offset) => Ok(Expr::Property {
                    target: Box::new(target),
                    name,
                    offset: name_offset,
                }),
                (other, at) => Err(ExprError::new(
                    ExprErrorCode::Syntax,
                    at,
                    format!(
                        "expected a property name after '.', found {}",
                        other.describe()
                    ),
                )),
            };
        }
        if self.peek() == &Token::RBracket {
            return Err(self.syntax("expected an index expression between '[' and ']'".into()));
        }
        let index = self.expr(level + 1)?;
        match self.peek() {
            Token::RBracket => {
                self.bump();
                Ok(Expr::Index {
                    target: Box::new(target),
                    index: Box::new(index),
                    offset,
                })
            }
            other => Err(self.syntax(format!(
                "expected ']' to close the index, found {}",
                other.describe()
            ))),
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, ExprError> {
        let (token, offset) = self.bump();
        match token {
            Token::Str(value) => Ok(Expr::String { value, offset }),
            Token::Int(value) => Ok(Expr::Int { value, offset }),
            Token::Ident(name) => self.named(name, offset, depth),
            other => Err(ExprError::new(
                ExprErrorCode::Syntax,
                offset,
                format!(
                    "expected a function call, string or integer, found {}",
                    other.describe()
                ),
            )),
        }
    }

    /// A name just read at `offset`: a call, a user-defined `ns.fn(...)` call, or a keyword.
    fn named(&mut self, name: String, offset: usize, depth: usize) -> Result<Expr, ExprError> {
        if self.peek() == &Token::LParen {
            if !functions::is_known(&name) {
                return Err(ExprError::new(
                    ExprErrorCode::UnknownFunction,
                    offset,
                    format!("'{name}' is not an ARM template function"),
                ));
            }
            return self.call(name, offset, depth);
        }
        if self.peek() == &Token::Dot
            && matches!(self.peek_at(1), Token::Ident(_))
            && self.peek_at(2) == &Token::LParen
        {
            self.bump();
            if let (Token::Ident(member), _) = self.bump() {
                return self.call(format!("{name}.{member}"), offset, depth);
            }
        }
        match name.to_ascii_lowercase().as_str() {
            "true" => Ok(Expr::Bool {
                value: true,
                offset,
            }),
            "false" => Ok(Expr::Bool {
                value: false,
                offset,
            }),
            "null" => Ok(Expr::Null { offset }),
            _ => Err(self.syntax(format!(
                "expected '(' after function name '{name}', found {}",
                self.peek().describe()
            ))),
        }
    }

    /// The argument list of `name`, the current token being `(`.
    fn call(&mut self, name: String, offset: usize, depth: usize) -> Result<Expr, ExprError> {
        self.bump();
        let mut args = Vec::new();
        if self.peek() == &Token::RParen {
            self.bump();
            return Ok(Expr::Call { name, args, offset });
        }
        loop {
            if matches!(self.peek(), Token::RParen | Token::Comma | Token::End) {
                return Err(self.syntax(format!(
                    "expected argument {} of '{name}', found {}",
                    args.len() + 1,
                    self.peek().describe()
                )));
            }
            args.push(self.expr(depth + 1)?);
            match self.peek() {
                Token::Comma => {
                    self.bump();
                }
                Token::RParen => {
                    self.bump();
                    return Ok(Expr::Call { name, args, offset });
                }
                other => {
                    return Err(self.syntax(format!(
                        "expected ',' or ')' after argument {} of '{name}', found {}",
                        args.len(),
                        other.describe()
                    )))
                }
            }
        }
    }
}
