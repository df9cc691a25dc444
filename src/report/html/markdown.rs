//! REPORT (html): the few Markdown constructs rule help uses, turned into plain blocks.
//!
//! Rule help is written once in Markdown (`rules::Rule::help_markdown`) and reused by SARIF, the
//! CLI and this report. The report shows it without a Markdown crate: headings, paragraphs,
//! `- ` lists, fenced code and inline code become [`Block`]s of [`Inline`] text that the template
//! renders with auto-escaping on. Nothing here produces HTML, so nothing here can inject it.

/// A run of text, either plain or inline code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inline {
    /// True for `code`.
    pub(crate) code: bool,
    /// The text, unescaped (the template escapes it).
    pub(crate) text: String,
}

impl Inline {
    /// Plain text.
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Self {
            code: false,
            text: text.into(),
        }
    }

    /// Inline code (a name, a value).
    pub(crate) fn code(text: impl Into<String>) -> Self {
        Self {
            code: true,
            text: text.into(),
        }
    }
}

/// One block of help text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// `heading`, `para`, `list` or `code`.
    pub(crate) kind: &'static str,
    /// Text of a heading or paragraph.
    pub(crate) inlines: Vec<Inline>,
    /// Items of a list.
    pub(crate) items: Vec<Vec<Inline>>,
    /// Body of a code block.
    pub(crate) code: String,
}

impl Block {
    fn new(kind: &'static str) -> Self {
        Self {
            kind,
            inlines: Vec::new(),
            items: Vec::new(),
            code: String::new(),
        }
    }
}

/// Splits text on backticks: odd segments are inline code. An unpaired backtick stays text.
pub(crate) fn inlines(text: &str) -> Vec<Inline> {
    let parts: Vec<&str> = text.split('`').collect();
    let paired = parts.len() % 2 == 1;
    let mut out: Vec<Inline> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let is_code = i % 2 == 1 && (paired || i + 1 < parts.len());
        if part.is_empty() && !is_code {
            continue;
        }
        let inline = if is_code {
            Inline::code(*part)
        } else if i % 2 == 1 {
            Inline::text(format!("`{part}"))
        } else {
            Inline::text(*part)
        };
        match out.last_mut() {
            Some(last) if !last.code && !inline.code => last.text.push_str(&inline.text),
            _ => out.push(inline),
        }
    }
    out
}

/// Converts help Markdown into blocks. Unknown constructs are kept as paragraph text.
pub(crate) fn blocks(markdown: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    for line in markdown.lines() {
        if let Some(body) = code.as_mut() {
            if line.trim_start().starts_with("```") {
                let mut block = Block::new("code");
                block.code = body.join("\n");
                out.push(block);
                code = None;
            } else {
                body.push(line);
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            flush_para(&mut para, &mut out);
            code = Some(Vec::new());
        } else if trimmed.is_empty() {
            flush_para(&mut para, &mut out);
        } else if let Some(heading) = heading_text(trimmed) {
            flush_para(&mut para, &mut out);
            let mut block = Block::new("heading");
            block.inlines = inlines(heading);
            out.push(block);
        } else if let Some(item) = trimmed.strip_prefix("- ").or(trimmed.strip_prefix("* ")) {
            flush_para(&mut para, &mut out);
            match out.last_mut() {
                Some(list) if list.kind == "list" => list.items.push(inlines(item)),
                _ => {
                    let mut block = Block::new("list");
                    block.items.push(inlines(item));
                    out.push(block);
                }
            }
        } else {
            para.push(trimmed);
        }
    }
    if let Some(body) = code {
        let mut block = Block::new("code");
        block.code = body.join("\n");
        out.push(block);
    }
    flush_para(&mut para, &mut out);
    out
}

fn heading_text(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches('#');
    let hashes = line.len() - rest.len();
    ((1..=6).contains(&hashes) && rest.starts_with(' ')).then(|| rest.trim())
}

fn flush_para(para: &mut Vec<&str>, out: &mut Vec<Block>) {
    if para.is_empty() {
        return;
    }
    let mut block = Block::new("para");
    block.inlines = inlines(&para.join(" "));
    out.push(block);
    para.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_inline_code_and_keeps_unpaired_backticks() {
        assert_eq!(
            inlines("set `a` to `<b>`"),
            vec![
                Inline::text("set "),
                Inline::code("a"),
                Inline::text(" to "),
                Inline::code("<b>")
            ]
        );
        assert_eq!(inlines("a ` b"), vec![Inline::text("a ` b")]);
    }

    #[test]
    fn headings_paragraphs_lists_and_fences() {
        let md =
            "## What it flags\nline one\nline two\n\n- x\n- `y`\n```json\n{ \"a\": 1 }\n```\nafter";
        let kinds: Vec<&str> = blocks(md).iter().map(|b| b.kind).collect();
        assert_eq!(kinds, ["heading", "para", "list", "code", "para"]);
        let all = blocks(md);
        assert_eq!(all[1].inlines, vec![Inline::text("line one line two")]);
        assert_eq!(all[2].items.len(), 2);
        assert_eq!(all[3].code, "{ \"a\": 1 }");
    }

    #[test]
    fn an_unclosed_fence_keeps_its_text() {
        let all = blocks("```\nno end");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].code, "no end");
    }
}
