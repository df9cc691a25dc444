//! CONFIG: the glob patterns of suppressions and policy settings (`*`, `?`), matched
//! case-insensitively as Azure compares names and ids.

/// Case-insensitive glob with `*` (any run) and `?` (one character); linear time.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*/virtualMachines/jump-*", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/Jump-01"));
        assert!(glob_match("vm-?", "VM-1"));
        assert!(!glob_match("vm-?", "vm-10"));
        assert!(glob_match("vm-web", "vm-web"));
        assert!(!glob_match("vm-web", "vm-web-0"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }
}
