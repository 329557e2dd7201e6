//! The one sanitiser for every string bound for a terminal or a report: control characters and
//! escape sequences in names, reviews, queries, product names or cells never reach a terminal raw,
//! whether drawn by the TUI, printed by the CLI (errors, warnings, reports on stdout) or written
//! into report.md and the JSON outputs that scripts print.
//!
//! Control characters are shown the way `cat -v` shows them (`ESC` as `^[`, `BEL` as `^G`, C1
//! controls as `<U+009B>`), so a review carrying `ESC ] 0;PWNED BEL` reads as harmless text and
//! can neither retitle the terminal nor clear it. Bidirectional overrides, which reorder what the
//! reader sees, are shown as `<U+202E>` too. Newlines and tabs become spaces: every cell is one line.

use std::borrow::Cow;

/// Whether `c` must not reach the terminal as it is.
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || c == '\u{FEFF}'
}

/// `s` with every control character made visible and line breaks turned into spaces.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7F}' => out.push_str("^?"),
            c if unsafe_char(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`clean`] line by line: line breaks are kept (transcripts, streamed text).
pub fn clean_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| clean(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// [`clean_lines`] in place.
pub fn lines_in_place(s: &mut String) {
    if s.chars().any(unsafe_char) {
        *s = clean_lines(s);
    }
}

/// Text for a terminal or a Markdown file: [`clean`] line by line, line breaks kept, and tabs
/// kept too (aligned tables); every other control character made visible.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| unsafe_char(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    let parts: Vec<String> = s
        .split('\n')
        .map(|l| {
            l.split('\t')
                .map(|p| clean(p).into_owned())
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect();
    Cow::Owned(parts.join("\n"))
}

/// Serialised JSON with every character that [`unsafe_char`] names and serde leaves raw (DEL, C1
/// controls, bidirectional marks, BOM) written as a `\uXXXX` escape: the same JSON value, and no
/// control byte reaches a terminal that prints it. Such characters only occur inside strings.
pub fn json(s: String) -> String {
    if !s.chars().any(unsafe_char_json) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_char_json(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", u));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters serde_json writes raw that must not be: every unsafe one but the whitespace it
/// emits between tokens (and escapes inside strings).
fn unsafe_char_json(c: char) -> bool {
    unsafe_char(c) && !matches!(c, '\n' | '\t' | '\r')
}

/// One CSV cell of an export: quoted when it must be, and a text that a spreadsheet would run
/// as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed with
/// `'`, so a product called `=HYPERLINK(...)` stays text. Numbers such as `-3.5` are kept.
pub fn csv_cell(s: &str) -> String {
    let formula =
        s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.trim().parse::<f64>().is_err();
    let s: Cow<'_, str> = if formula {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// [`clean`] as an owned string, for storing in view models.
pub fn owned(s: &str) -> String {
    clean(s).into_owned()
}

/// Cleans a string in place.
pub fn in_place(s: &mut String) {
    if let Cow::Owned(c) = clean(s) {
        *s = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc_title_and_clear_screen_become_visible_text() {
        let review = "great\u{1b}]0;PWNED\u{7}ok\u{1b}[2J";
        let c = clean(review);
        assert_eq!(c, "great^[]0;PWNED^Gok^[[2J");
        assert!(!c.chars().any(|c| c.is_control()));
    }

    #[test]
    fn c1_controls_bidi_and_newlines() {
        assert_eq!(clean("a\u{9b}2Jb"), "a<U+009B>2Jb");
        assert_eq!(clean("x\u{202E}y"), "x<U+202E>y");
        assert_eq!(clean("one\ntwo\tthree\r"), "one two three ");
        assert_eq!(clean("del\u{7f}"), "del^?");
    }

    #[test]
    fn clean_lines_keeps_line_breaks_only() {
        assert_eq!(clean_lines("a\u{1b}[2J\nb\r\tc"), "a^[[2J\nb  c");
    }

    #[test]
    fn text_keeps_lines_and_tabs() {
        assert_eq!(text("a\tb\n\u{1b}]0;x\u{7}"), "a\tb\n^[]0;x^G");
        assert!(matches!(text("plain\ttable\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw_and_stays_the_same_value() {
        let v = serde_json::json!({"name": "a\u{1b}]0;T\u{7}\u{9b}2J\u{202e}b\u{7f}\u{1F600}"});
        let raw = serde_json::to_string_pretty(&v).unwrap();
        let safe = json(raw);
        assert!(!safe.chars().any(|c| unsafe_char(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn csv_cells_never_run_as_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1+cmd"), "'+1+cmd");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-0.35"), "-0.35");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("plain"), "plain");
    }

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        assert!(matches!(clean("Grüße, 東京 ✓"), Cow::Borrowed(_)));
    }
}
