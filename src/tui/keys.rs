//! Key bindings: every action the UI knows, its default keys, and overrides from `[tui.keys]`
//! in the TOML config (`quit = ["Q", "ctrl-c"]`). No action needs a chord that tmux or SSH
//! swallow (Ctrl+Enter, Ctrl+Tab, Alt+arrows): every default is a plain key or a Ctrl+letter.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key does. Screens read the actions that make sense to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    PageDown,
    PageUp,
    NextPane,
    PrevPane,
    Open,
    Back,
    Quit,
    Help,
    Copy,
    Export,
    Mouse,
    Segments,
    Persona,
    Map,
    Members,
    Compare,
    NextSegment,
    PrevSegment,
    Regenerate,
    Transcript,
    Sort,
    Filter,
    Search,
    NextMatch,
    PrevMatch,
    ZoomIn,
    ZoomOut,
    ZoomReset,
}

/// Every action with its config name, default keys and what it does (for `?` and the config).
pub const ACTIONS: &[(Action, &str, &[&str], &str)] = &[
    (Action::Up, "up", &["Up", "k"], "move up"),
    (Action::Down, "down", &["Down", "j"], "move down"),
    (
        Action::Left,
        "left",
        &["Left", "h"],
        "move left / previous column",
    ),
    (
        Action::Right,
        "right",
        &["Right", "l"],
        "move right / next column",
    ),
    (Action::Top, "top", &["g", "Home"], "first row"),
    (Action::Bottom, "bottom", &["G", "End"], "last row"),
    (
        Action::PageDown,
        "page_down",
        &["ctrl-d", "PageDown"],
        "half a page down",
    ),
    (
        Action::PageUp,
        "page_up",
        &["ctrl-u", "PageUp"],
        "half a page up",
    ),
    (Action::NextPane, "next_pane", &["Tab"], "next pane"),
    (Action::PrevPane, "prev_pane", &["BackTab"], "previous pane"),
    (Action::Open, "open", &["Enter"], "drill down"),
    (
        Action::Back,
        "back",
        &["Esc", "q"],
        "back / cancel the running job",
    ),
    (Action::Quit, "quit", &["Q", "ctrl-c"], "quit"),
    (Action::Help, "help", &["?", "F1"], "keys of this screen"),
    (
        Action::Copy,
        "copy",
        &["y"],
        "copy the cell or persona (OSC 52)",
    ),
    (
        Action::Export,
        "export",
        &["e"],
        "export this view to a file",
    ),
    (Action::Mouse, "mouse", &["m"], "mouse capture on/off"),
    (Action::Segments, "segments", &["1"], "segments screen"),
    (Action::Persona, "persona", &["2", "p"], "persona screen"),
    (Action::Map, "map", &["3", "v"], "map screen"),
    (Action::Members, "members", &["4"], "members screen"),
    (
        Action::Compare,
        "compare",
        &["5", "c"],
        "compare two segments",
    ),
    (Action::NextSegment, "next_segment", &["]"], "next segment"),
    (
        Action::PrevSegment,
        "prev_segment",
        &["["],
        "previous segment",
    ),
    (
        Action::Regenerate,
        "regenerate",
        &["r"],
        "rewrite the persona with a new seed",
    ),
    (
        Action::Transcript,
        "transcript",
        &["t"],
        "tool-call transcript",
    ),
    (
        Action::Sort,
        "sort",
        &["s"],
        "sort by the column (again: reverse)",
    ),
    (
        Action::Filter,
        "filter",
        &["f"],
        "filter rows (monetary>500, value_tier=high)",
    ),
    (Action::Search, "search", &["/"], "search"),
    (Action::NextMatch, "next_match", &["n"], "next match"),
    (Action::PrevMatch, "prev_match", &["N"], "previous match"),
    (Action::ZoomIn, "zoom_in", &["+", "="], "zoom in"),
    (Action::ZoomOut, "zoom_out", &["-"], "zoom out"),
    (Action::ZoomReset, "zoom_reset", &["0"], "whole map"),
];

/// One key with its modifiers, as written in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    /// Parses `"j"`, `"G"`, `"ctrl-d"`, `"Enter"`, `"Esc"`, `"Tab"`, `"BackTab"`, `"Up"`, `"F1"`...
    pub fn parse(s: &str) -> Result<Self, String> {
        let (ctrl, rest) = match s.strip_prefix("ctrl-").or_else(|| s.strip_prefix("C-")) {
            Some(r) => (true, r),
            None => (false, s),
        };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" => KeyCode::Delete,
                f if f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "unknown key '{s}': use a character, ctrl-<letter>, Enter, Esc, Tab, BackTab, Up, Down, Left, Right, Home, End, PageUp, PageDown, Space or F1-F12"
                    ))
                }
            },
        };
        if ctrl && matches!(code, KeyCode::Enter | KeyCode::Tab) {
            return Err(format!(
                "'{s}': Ctrl+Enter and Ctrl+Tab do not survive tmux and SSH; pick another key"
            ));
        }
        Ok(Self { code, ctrl })
    }

    fn of(ev: &KeyEvent) -> Self {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Self { code, ctrl }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "Ctrl-")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::BackTab => write!(f, "S-Tab"),
            KeyCode::PageUp => write!(f, "PgUp"),
            KeyCode::PageDown => write!(f, "PgDn"),
            c => write!(f, "{c:?}"),
        }
    }
}

/// Keys to actions.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = Vec::new();
        for (action, _, keys, _) in ACTIONS {
            for k in *keys {
                if let Ok(key) = Key::parse(k) {
                    bindings.push((key, *action));
                }
            }
        }
        Self { bindings }
    }
}

impl Keymap {
    /// The defaults with `overrides` (action name -> keys) applied: an action named there keeps
    /// only the keys given.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Self, String> {
        let mut map = Self::default();
        for (name, keys) in overrides {
            let Some((action, ..)) = ACTIONS.iter().find(|(_, n, ..)| n == name) else {
                let names: Vec<&str> = ACTIONS.iter().map(|(_, n, ..)| *n).collect();
                return Err(format!(
                    "[tui.keys] names an unknown action '{name}'; actions: {}",
                    names.join(", ")
                ));
            };
            let parsed = keys
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("[tui.keys] {name}: {e}"))?;
            map.bindings.retain(|(_, a)| a != action);
            for k in parsed {
                map.bindings.retain(|(b, _)| *b != k);
                map.bindings.push((k, *action));
            }
        }
        Ok(map)
    }

    /// The action bound to `ev`, if any.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let k = Key::of(ev);
        // Shift is folded into the character itself ('G'), so only Ctrl is compared.
        self.bindings.iter().find(|(b, _)| *b == k).map(|(_, a)| *a)
    }

    /// The keys bound to `action`, written for the help screen.
    pub fn keys_of(&self, action: Action) -> String {
        let keys: Vec<String> = self
            .bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.to_string())
            .collect();
        keys.join(" ")
    }
}

/// What an action does, for the help screen.
pub fn describe(action: Action) -> &'static str {
    ACTIONS
        .iter()
        .find(|(a, ..)| *a == action)
        .map_or("", |(.., d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn defaults_cover_vi_keys_and_ctrl_letters() {
        let k = Keymap::default();
        let none = KeyModifiers::NONE;
        assert_eq!(k.action(&ev(KeyCode::Char('j'), none)), Some(Action::Down));
        assert_eq!(k.action(&ev(KeyCode::Down, none)), Some(Action::Down));
        assert_eq!(
            k.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::PageDown)
        );
        assert_eq!(k.action(&ev(KeyCode::Char('Q'), none)), Some(Action::Quit));
        assert_eq!(k.action(&ev(KeyCode::Char('q'), none)), Some(Action::Back));
    }

    #[test]
    fn overrides_replace_an_actions_keys() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["ctrl-x".to_string()]);
        let k = Keymap::with_overrides(&o).unwrap();
        assert_eq!(k.action(&ev(KeyCode::Char('Q'), KeyModifiers::NONE)), None);
        assert_eq!(
            k.action(&ev(KeyCode::Char('x'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(k.keys_of(Action::Quit), "Ctrl-x");
    }

    #[test]
    fn bad_overrides_are_named() {
        let mut o = BTreeMap::new();
        o.insert("fly".to_string(), vec!["x".to_string()]);
        assert!(Keymap::with_overrides(&o).unwrap_err().contains("'fly'"));
        let mut o = BTreeMap::new();
        o.insert("open".to_string(), vec!["ctrl-Enter".to_string()]);
        assert!(Keymap::with_overrides(&o).unwrap_err().contains("tmux"));
        let mut o = BTreeMap::new();
        o.insert("open".to_string(), vec!["Hyper".to_string()]);
        assert!(Keymap::with_overrides(&o)
            .unwrap_err()
            .contains("unknown key"));
    }
}
