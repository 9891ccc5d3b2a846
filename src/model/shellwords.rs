//! Splits a command string into words exactly as compose-go does (mattn/go-shellwords v1.0.15's
//! `Parse`, environment and backtick expansion off), so `command: "..."` gives the container the
//! same argv as docker compose v5 and the same config hash.
//!
//! Go's rules differ from POSIX sh in ways that matter: the first unquoted `;`, `&`, `|`, `<` or
//! `>` ends the command (`"a && b"` is `["a"]`; digits right before `>` are dropped with it, as
//! a file descriptor), a backslash escapes the next character even inside double quotes and
//! `\t` / `\n` become a tab / newline, and an unquoted `(` not after `$` is an error.
//!
//! Pure; imports nothing.

/// Why a command string cannot be split (compose-go: "invalid command line string").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError;

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid command line string")
    }
}

impl std::error::Error for SplitError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Got {
    No,
    Single,
    Quoted,
}

/// The words of `line`, as go-shellwords' `Parse` returns them.
pub fn split(line: &str) -> Result<Vec<String>, SplitError> {
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut double_q, mut single_q) = (false, false, false);
    let (mut back_q, mut dollar_q) = (false, false);
    let mut got = Got::No;
    for r in line.chars() {
        if escaped {
            escaped = false;
            if back_q || dollar_q {
                buf.push('\\');
                buf.push(r);
                got = Got::Single;
                continue;
            }
            buf.push(match r {
                't' => '\t',
                'n' => '\n',
                r => r,
            });
            got = Got::Single;
            continue;
        }
        if r == '\\' {
            if single_q {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if single_q || double_q || back_q || dollar_q {
                buf.push(r);
            } else if got != Got::No {
                args.push(std::mem::take(&mut buf));
                got = Got::No;
            }
            continue;
        }
        match r {
            '`' if !single_q && !double_q && !dollar_q => back_q = !back_q,
            ')' if !single_q && !double_q && !back_q => {
                if !dollar_q {
                    return Err(SplitError);
                }
                buf.push(r);
                dollar_q = false;
                got = Got::Single;
                continue;
            }
            '(' if !single_q && !double_q && !back_q => {
                if !dollar_q && buf.ends_with('$') && !buf.ends_with("\\$") {
                    dollar_q = true;
                    buf.push('(');
                    continue;
                }
                return Err(SplitError);
            }
            '"' if !single_q && !dollar_q && !back_q => {
                if double_q {
                    got = Got::Quoted;
                }
                double_q = !double_q;
                continue;
            }
            '\'' if !double_q && !dollar_q && !back_q => {
                if single_q {
                    got = Got::Quoted;
                }
                single_q = !single_q;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !(single_q || double_q || back_q || dollar_q) => {
                // `2>file`: the digits before `>` are a file descriptor, not a word.
                if r == '>' && !buf.is_empty() && buf.chars().all(|c| c.is_ascii_digit()) {
                    got = Got::No;
                }
                break;
            }
            _ => {}
        }
        got = Got::Single;
        buf.push(r);
    }
    if got != Got::No {
        args.push(buf);
    }
    if escaped || single_q || double_q || back_q || dollar_q {
        return Err(SplitError);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::split;

    fn ok(line: &str) -> Vec<String> {
        split(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    /// Each case checked against docker compose v5.6.1 (`config --format json`).
    #[test]
    fn splits_as_docker_compose_v5() {
        assert_eq!(ok("echo a; b"), ["echo", "a"]);
        assert_eq!(ok("echo 'a && b' c | d"), ["echo", "a && b", "c"]);
        assert_eq!(ok("echo a 2>/dev/null"), ["echo", "a"]);
        assert_eq!(
            ok(r#"echo a\tb "x y" 'p q'"#),
            ["echo", "a\tb", "x y", "p q"]
        );
        assert_eq!(ok("echo $(date) x"), ["echo", "$(date)", "x"]);
        assert_eq!(ok("a>b"), ["a"]);
        assert_eq!(ok("echo 12>x"), ["echo"]);
        assert_eq!(ok(r"echo a\nb"), ["echo", "a\nb"]);
        assert_eq!(
            ok("echo a && echo b > /tmp/out 2>&1 < /dev/null"),
            ["echo", "a"]
        );
        assert_eq!(ok("sh -c 'x' ''"), ["sh", "-c", "x", ""]);
        assert_eq!(ok(""), Vec::<String>::new());
        assert!(split("echo (x)").is_err());
        assert!(split("echo 'open").is_err());
        assert!(split("echo a\\").is_err());
    }
}
