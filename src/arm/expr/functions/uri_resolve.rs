//! RFC 3986 section 5 reference resolution, the rule ARM documents for `uri(base, relative)`.
//!
//! Pure string work on slices of the inputs; runs in linear time and never indexes out of
//! bounds. No normalisation beyond dot-segment removal (.NET's `Uri` also lower-cases the
//! scheme and host; templates in practice already write them in lower case).

/// The five components of a URI reference.
struct Parts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

/// Resolves `relative` against `base`; `None` when `base` is not an absolute URI.
pub(crate) fn resolve(base: &str, relative: &str) -> Option<String> {
    let b = split(base);
    let scheme = b.scheme?;
    let r = split(relative);
    if let Some(own_scheme) = r.scheme {
        return Some(compose(
            own_scheme,
            r.authority,
            &remove_dots(r.path),
            r.query,
            r.fragment,
        ));
    }
    let (authority, path, query) = if r.authority.is_some() {
        (r.authority, remove_dots(r.path), r.query)
    } else if r.path.is_empty() {
        (b.authority, b.path.to_owned(), r.query.or(b.query))
    } else if r.path.starts_with('/') {
        (b.authority, remove_dots(r.path), r.query)
    } else {
        (b.authority, remove_dots(&merge(&b, r.path)), r.query)
    };
    Some(compose(scheme, authority, &path, query, r.fragment))
}

fn split(uri: &str) -> Parts<'_> {
    let (rest, fragment) = match uri.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (uri, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.split_once(':') {
        Some((scheme, after)) if is_scheme(scheme) => (Some(scheme), after),
        _ => (None, rest),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(slash) => (after.get(..slash), after.get(slash..).unwrap_or_default()),
            None => (Some(after), ""),
        },
        None => (None, rest),
    };
    Parts {
        scheme,
        authority,
        path,
        query,
        fragment,
    }
}

fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// RFC 3986 5.2.3: the base path up to its last '/', then the relative path.
fn merge(base: &Parts<'_>, relative: &str) -> String {
    if base.authority.is_some() && base.path.is_empty() {
        return format!("/{relative}");
    }
    let keep = base
        .path
        .rfind('/')
        .map_or("", |i| base.path.get(..=i).unwrap_or_default());
    format!("{keep}{relative}")
}

/// RFC 3986 5.2.4.
fn remove_dots(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest;
        } else if input.starts_with("/./") {
            input = input.get(2..).unwrap_or_default();
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." {
                "/"
            } else {
                input.get(3..).unwrap_or_default()
            };
            let cut = output.rfind('/').unwrap_or(0);
            output.truncate(cut);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input
                .get(start..)
                .and_then(|s| s.find('/'))
                .map_or(input.len(), |i| i + start);
            output.push_str(input.get(..end).unwrap_or_default());
            input = input.get(end..).unwrap_or_default();
        }
    }
    output
}

fn compose(
    scheme: &str,
    authority: Option<&str>,
    path: &str,
    query: Option<&str>,
    fragment: Option<&str>,
) -> String {
    let mut out = format!("{scheme}:");
    if let Some(authority) = authority {
        out.push_str("//");
        out.push_str(authority);
    }
    out.push_str(path);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn documented_arm_examples() {
        let cases = [
            (
                "http://contoso.org/firstpath",
                "myscript.sh",
                "http://contoso.org/myscript.sh",
            ),
            (
                "http://contoso.org/firstpath/",
                "myscript.sh",
                "http://contoso.org/firstpath/myscript.sh",
            ),
            (
                "http://contoso.org/firstpath/azuredeploy.json",
                "myscript.sh",
                "http://contoso.org/firstpath/myscript.sh",
            ),
            (
                "http://contoso.org/firstpath/azuredeploy.json/",
                "myscript.sh",
                "http://contoso.org/firstpath/azuredeploy.json/myscript.sh",
            ),
            (
                "http://contoso.org",
                "myscript.sh",
                "http://contoso.org/myscript.sh",
            ),
        ];
        for (base, relative, expected) in cases {
            assert_eq!(
                resolve(base, relative).unwrap(),
                expected,
                "{base} + {relative}"
            );
        }
    }

    #[test]
    fn rfc3986_normal_examples() {
        let base = "http://a/b/c/d;p?q";
        let cases = [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            ("", "http://a/b/c/d;p?q"),
            ("../g", "http://a/b/g"),
            ("../../../g", "http://a/g"),
            ("g:h", "g:h"),
        ];
        for (relative, expected) in cases {
            assert_eq!(resolve(base, relative).unwrap(), expected, "{relative}");
        }
        assert_eq!(resolve("no-scheme/x", "y"), None);
    }
}
