//! Hostile and garbled input: nothing panics, every error offset points inside the string on a
//! character boundary.

use super::TestScope;
use crate::arm::expr::{evaluate_string, parse};

/// Deterministic xorshift generator (no extra crates, reproducible failures).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "[",
    "]",
    "(",
    ")",
    ",",
    ".",
    "'",
    "''",
    " ",
    "[[",
    "concat",
    "parameters",
    "variables",
    "'obj'",
    "'arr'",
    "'noValue'",
    "0",
    "-1",
    "99999999999999999999",
    "if",
    "true",
    "null",
    "format",
    "'{0:N0}'",
    "'{'",
    "'}}'",
    "skip",
    "take",
    "range",
    "10000",
    "union",
    "createObject",
    "createArray",
    "json",
    "'{\"a\":[1'",
    "substring",
    "padLeft",
    "split",
    "resourceId",
    "'Microsoft.Network/virtualNetworks/subnets'",
    "'a/b'",
    "uri",
    "'http://x/y/'",
    "é",
    "😀",
    "\u{0}",
    "\\",
    "\"",
    "coalesce",
    "and",
    "or",
    "equals",
    "listKeys",
    "copyIndex",
    "base64ToJson",
    "'e30='",
    "items",
    "string",
    "guid",
    "uniqueString",
    "dataUriToString",
];

fn garbled(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.below(4) != 0 {
        s.push('[');
    }
    for _ in 0..rng.below(30) {
        s.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
    }
    if rng.below(4) != 0 {
        s.push(']');
    }
    s
}

fn random_bytes(rng: &mut Rng) -> String {
    let len = rng.below(40);
    let mut bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xFF) as u8).collect();
    bytes.insert(0, b'[');
    bytes.push(b']');
    String::from_utf8_lossy(&bytes).into_owned()
}

fn check_no_panic(s: &str, scope: &TestScope) {
    if let Err(e) = parse(s) {
        assert!(
            e.offset <= s.len() && s.is_char_boundary(e.offset),
            "{s:?}: {e:?}"
        );
    }
    if let Err(e) = evaluate_string(s, scope) {
        assert!(
            e.offset <= s.len() && s.is_char_boundary(e.offset),
            "{s:?}: {e:?}"
        );
        assert!(!e.message.is_empty());
    }
}

#[test]
fn garbled_expressions_never_panic() {
    let scope = TestScope::in_loop("loop", 1);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..400 {
        check_no_panic(&garbled(&mut rng), &scope);
    }
    for _ in 0..200 {
        check_no_panic(&random_bytes(&mut rng), &scope);
    }
}

#[test]
fn valid_but_nasty_expressions_never_panic() {
    let scope = TestScope::new();
    let cases = [
        "[substring('é😀x', 1, 1)]",
        "[take('😀😀', 1)]",
        "[indexOf('İstanbul', 'i̇')]",
        "[format('{0,999999}', 'x')]",
        "[format('{0:D999999}', 1)]",
        "[format('{999999999999}', 1)]",
        "[padLeft('x', 9223372036854775807)]",
        "[range(-9223372036854775808, 10)]",
        "[skip('abc', -9223372036854775808)]",
        "[mul(-9223372036854775808, -1)]",
        "[json('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[')]",
        "[base64ToString('====')]",
        "[uri('http://a', '../../../../x')]",
        "[split('aaaa', createArray('aa', 'a'))]",
        "[replace('aaa', 'a', 'aaaaaaaaaa')]",
        "[dataUriToString('data:,%')]",
        "[uriComponentToString('%F0%9F')]",
    ];
    for s in cases {
        check_no_panic(s, &scope);
    }
}
