//! ARM expressions from a small grammar (calls of real and misspelt functions, literals with
//! quotes and escapes, property and index access, parameters, variables, copyIndex), and
//! random edits of expression text, for the expression fuzz target.

/// Deterministic xorshift generator: every case replays from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const FUNCTIONS: &[(&str, usize)] = &[
    ("concat", 3),
    ("format", 3),
    ("substring", 3),
    ("replace", 3),
    ("split", 2),
    ("join", 2),
    ("padLeft", 3),
    ("toLower", 1),
    ("string", 1),
    ("int", 1),
    ("json", 1),
    ("base64", 1),
    ("base64ToString", 1),
    ("uri", 2),
    ("uniqueString", 2),
    ("guid", 2),
    ("if", 3),
    ("and", 2),
    ("or", 2),
    ("not", 1),
    ("equals", 2),
    ("less", 2),
    ("add", 2),
    ("sub", 2),
    ("mul", 2),
    ("div", 2),
    ("mod", 2),
    ("range", 2),
    ("length", 1),
    ("first", 1),
    ("last", 1),
    ("take", 2),
    ("skip", 2),
    ("union", 2),
    ("intersection", 2),
    ("createArray", 3),
    ("createObject", 4),
    ("items", 1),
    ("contains", 2),
    ("empty", 1),
    ("coalesce", 2),
    ("resourceId", 3),
    ("subscriptionResourceId", 2),
    ("resourceGroup", 0),
    ("subscription", 0),
    ("deployment", 0),
    ("reference", 1),
    ("listKeys", 2),
    ("utcNow", 0),
    ("copyIndex", 1),
    ("parameters", 1),
    ("variables", 1),
    ("tryGet", 2),
    ("flatten", 1),
    ("shallowMerge", 1),
    ("dataUriToString", 1),
    ("uriComponentToString", 1),
    ("lastIndexOf", 2),
    ("concatt", 1),
    ("ns.fn", 1),
];

const LITERALS: &[&str] = &[
    "'x'",
    "''",
    "'it''s'",
    "'\"q\"'",
    "'é😀'",
    "'{0}-{1}'",
    "'{'",
    "'%F0%9F'",
    "'data:,%'",
    "'e30='",
    "'[1,[2]]'",
    "'Microsoft.Network/networkSecurityGroups'",
    "'Microsoft.Network/virtualNetworks/subnets'",
    "'a/b'",
    "'http://x/y/'",
    "'Full'",
    "0",
    "-1",
    "1",
    "3",
    "800",
    "10000",
    "9223372036854775807",
    "-9223372036854775808",
    "true",
    "false",
    "null",
    "'p'",
    "'v'",
    "'obj'",
    "'arr'",
    "'loop'",
    "'\\u0041'",
    "'\\\\'",
    "'\\n'",
];

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    "'",
    "''",
    "[[",
    " ",
    "\"",
    "\\",
    "\u{0}",
    "\u{202E}",
    "\u{1b}[31m",
    "concat(",
    "variables('v')",
    "parameters('p')",
    "copyIndex()",
    ".a",
    "[0]",
    "-",
    "99999999999999999999",
];

/// An expression of nesting at most `depth` (without the outer brackets).
pub fn expression(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return LITERALS[rng.below(LITERALS.len())].to_owned();
    }
    let mut expr = match rng.below(10) {
        0 => format!(
            "parameters('{}')",
            ["p", "obj", "arr", "missing"][rng.below(4)]
        ),
        1 => format!(
            "variables('{}')",
            ["v", "w", "loop", "missing"][rng.below(4)]
        ),
        _ => {
            let (name, arity) = FUNCTIONS[rng.below(FUNCTIONS.len())];
            let n = match rng.below(6) {
                0 => rng.below(5),
                _ => arity,
            };
            let args: Vec<String> = (0..n).map(|_| expression(rng, depth - 1)).collect();
            format!("{name}({})", args.join(", "))
        }
    };
    match rng.below(8) {
        0 => expr.push_str(&format!(
            ".{}",
            ["a", "properties", "id", "length"][rng.below(4)]
        )),
        1 => expr.push_str(&format!("[{}]", expression(rng, depth - 1))),
        _ => {}
    }
    expr
}

/// A whole expression string, sometimes edited at random.
pub fn expression_text(rng: &mut Rng) -> String {
    let depth = 2 + rng.below(5);
    let mut text = format!("[{}]", expression(rng, depth));
    for _ in 0..rng.below(4) {
        let mut chars: Vec<char> = text.chars().collect();
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                for (k, c) in fragment.chars().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            2 => {
                let end = (at + rng.below(20)).min(chars.len());
                let chunk: Vec<char> = chars[at..end].to_vec();
                for (k, c) in chunk.into_iter().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            _ => {
                // Nest the whole thing once more.
                let inner: String = chars
                    .iter()
                    .skip(1)
                    .take(chars.len().saturating_sub(2))
                    .collect();
                chars = format!("[concat({inner}, {inner})]").chars().collect();
            }
        }
        text = chars.into_iter().collect();
    }
    text
}
