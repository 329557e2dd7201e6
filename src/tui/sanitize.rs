//! Makes text from the data safe to draw: control characters and escape sequences in names,
//! reviews, queries or product names never reach the terminal raw.
//!
//! Control characters are shown the way `cat -v` shows them (`ESC` as `^[`, `BEL` as `^G`, C1
//! controls as `<U+009B>`), so a review carrying `ESC ] 0;PWNED BEL` reads as harmless text and
//! can neither retitle the terminal nor clear it. Bidirectional overrides, which reorder what the
//! reader sees, are shown as `<U+202E>` too. Newlines and tabs become spaces: every cell is one line.

use std::borrow::Cow;

/// Whether `c` must not reach the terminal as it is.
fn unsafe_char(c: char) -> bool {
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
    fn clean_text_is_borrowed_unchanged() {
        assert!(matches!(clean("Grüße, 東京 ✓"), Cow::Borrowed(_)));
    }
}
