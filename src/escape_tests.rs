//! Unit tests of the escapes, fed hostile names.

use super::*;

/// Names an attacker can put in a template, one per trick.
const HOSTILE: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J",
    "a\u{9b}31mred",
    "a\rb",
    "\n::stop-commands::abc\n",
    "\n::notice title=x::0 VMs: 0 unhealthy",
    "##[error]x",
    "x\u{202E}gpj.exe",
    "\u{2066}x\u{2069}\u{200E}\u{200F}\u{061C}",
    "a\u{2028}b\u{2029}c\u{85}d",
    "tab\there",
    "\u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\",
];

fn lines_are_inert(text: &str) {
    for line in text.split(['\n', '\r']) {
        let trimmed = line.trim_start();
        assert!(
            !(trimmed.starts_with("::") && trimmed[2..].contains("::")),
            "command line {line:?} in {text:?}"
        );
        assert!(!line.contains("##["), "v1 command in {line:?}");
    }
}

#[test]
fn terminal_leaves_no_control_and_no_line_break() {
    for value in HOSTILE {
        let safe = terminal(value);
        assert!(
            !safe.chars().any(is_terminal_unsafe),
            "{value:?} -> {safe:?}"
        );
        assert!(!safe.contains(['\n', '\r', '\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']));
        // One value is one line: a guard over it has nothing left to do but `##[`.
        assert_eq!(safe.lines().count(), 1, "{safe:?}");
    }
    assert_eq!(terminal("\u{1b}[2J"), "\\u{1b}[2J");
    assert_eq!(terminal("a\u{9b}b"), "a\\u{9b}b");
    assert_eq!(terminal("a\r\n\tb"), "a\\u{d}\\u{a}\\u{9}b");
    assert_eq!(terminal("x\u{202E}y\u{2028}"), "x\\u{202e}y\\u{2028}");
    assert_eq!(terminal("\u{7f}\u{85}"), "\\u{7f}\\u{85}");
}

#[test]
fn terminal_borrows_plain_text() {
    for plain in ["vm-ssh-open", "nsg é 😀 ::/0 [x](y) <b>", ""] {
        assert!(matches!(terminal(plain), Cow::Borrowed(_)), "{plain}");
    }
}

#[test]
fn ci_log_neutralises_workflow_commands_only() {
    let text = "VM a\n::stop-commands::abc\n  ::notice title=x::0 VMs: 0 unhealthy\r::error::x\nok ##[error]x ###[y] ##vso[task.setvariable]\n";
    let safe = ci_log(text);
    lines_are_inert(&safe);
    assert_eq!(
        safe,
        "VM a\n\\u{3a}:stop-commands::abc\n  \\u{3a}:notice title=x::0 VMs: 0 unhealthy\r\\u{3a}:error::x\nok #\\u{23}[error]x ##\\u{23}[y] #\\u{23}vso[task.setvariable]\n"
    );
    for plain in [
        "source ::/0 and 2001:db8::/32\n",
        "::/0\n",
        "  ::1 allowed\n",
        "a::b::c\n",
        "# heading\n## list [x]\n",
        "",
    ] {
        assert!(matches!(ci_log(plain), Cow::Borrowed(_)), "{plain:?}");
    }
}

#[test]
fn ci_log_of_every_hostile_value_in_a_line_is_inert() {
    for value in HOSTILE {
        lines_are_inert(&ci_log(value));
        lines_are_inert(&ci_log(&format!("VM '{}': open\n", terminal(value))));
    }
}

#[test]
fn ci_log_json_keeps_the_value() {
    let value = "##[error]x ###[y] ##vso[z] ::stop-commands::a # ## \u{9b}2J \u{7f} \u{202e} \u{2028} \u{1b}\r\n\t";
    let json = serde_json::to_string_pretty(&serde_json::json!({ "name": value })).unwrap();
    let safe = ci_log_json(&json);
    lines_are_inert(&safe);
    assert!(!safe.contains(['\u{9b}', '\u{7f}', '\u{202e}', '\u{2028}', '\u{1b}', '\r', '\t']));
    assert!(safe.contains("\\u009b2J \\u007f \\u202e \\u2028"), "{safe}");
    let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
    assert_eq!(back["name"], value);
    assert!(matches!(
        ci_log_json("{\"a\": \"#x ##\"}"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn markdown_makes_links_images_html_and_headings_text() {
    assert_eq!(
        markdown("[click](https://evil.example)"),
        "\\[click\\]\\(https\\://evil\\.example\\)"
    );
    assert_eq!(
        markdown("<img src=x onerror=alert(1)>"),
        "&lt;img src=x onerror=alert\\(1\\)&gt;"
    );
    assert_eq!(markdown("a & b &lt;"), "a &amp; b &amp;lt;");
    assert_eq!(markdown("x\n# h\n| a |"), "x\\u{a}\\# h\\u{a}\\| a \\|");
    assert_eq!(
        markdown("`code` *b* _i_ ~s~ !x"),
        "\\`code\\` \\*b\\* \\_i\\_ \\~s\\~ \\!x"
    );
    assert_eq!(markdown("$x$ {y} 1. + -"), "\\$x\\$ \\{y\\} 1\\. \\+ \\-");
    assert_eq!(markdown("a\\b"), "a\\\\b");
    for value in HOSTILE {
        let safe = markdown(value);
        assert!(!safe.chars().any(is_terminal_unsafe), "{safe:?}");
        assert!(!safe.contains('<') && !safe.contains("]("), "{safe:?}");
        lines_are_inert(&safe);
    }
    assert!(matches!(markdown("vm1 ok"), Cow::Borrowed(_)));
}

#[test]
fn sarif_text_escapes_embedded_links() {
    assert_eq!(
        sarif_text("[click](https://evil.example)"),
        "\\[click\\](https://evil.example)"
    );
    assert_eq!(sarif_text("a\\[b]"), "a\\\\\\[b\\]");
    assert!(matches!(sarif_text("vm-1 (x)"), Cow::Borrowed(_)));
}

#[test]
fn url_path_segments_cannot_change_the_path() {
    // ? = %3F, = = %3D, # = %23, / = %2F (RFC 3986 reserved characters, ASCII codes).
    assert_eq!(
        url_path_segment("rg?x=1#frag/../.."),
        "rg%3Fx%3D1%23frag%2F..%2F.."
    );
    assert_eq!(url_path_segment("100%"), "100%25");
    assert_eq!(url_path_segment("a b"), "a%20b");
    assert_eq!(url_path_segment("é"), "%C3%A9");
    assert_eq!(url_path_segment(".."), "%2E%2E");
    assert_eq!(url_path_segment("."), "%2E");
    assert!(matches!(url_path_segment("Rg-ok_1.a~"), Cow::Borrowed(_)));
}

#[test]
fn shell_words_are_single_quoted_whatever_they_hold() {
    assert_eq!(shell_word("rg"), "'rg'");
    assert_eq!(shell_word("it's"), "'it'\\''s'");
    assert_eq!(shell_word("$(id)`id`;x"), "'$(id)`id`;x'");
}

/// The shell itself reads each quoted word back as the value, one argument.
#[cfg(unix)]
#[test]
fn the_shell_reads_a_quoted_word_as_the_value() {
    let values = [
        "it's",
        "'; echo pwned; '",
        "$(id) `id` $HOME \\ \" *",
        "a\nb",
        "''",
        "",
    ];
    for value in values {
        let script = format!("printf '%s|' {}", shell_word(value));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{value}|"));
    }
}

#[test]
fn arm_strings_stay_literal() {
    assert_eq!(arm_expression_string("it's"), "it''s");
    assert!(matches!(arm_expression_string("vm-1"), Cow::Borrowed(_)));
    assert_eq!(arm_literal("[concat('a')]"), "[[concat('a')]");
    assert!(matches!(arm_literal("[a"), Cow::Borrowed(_)));
    assert!(matches!(arm_literal("a]"), Cow::Borrowed(_)));
}
