//! Colours: the 256-colour palette only (no true-colour assumption, so it looks the same over
//! SSH and in tmux), and none at all when `NO_COLOR` is set: selection and emphasis then use
//! reverse video and bold, which every terminal has.

use ratatui::style::{Color, Modifier, Style};

/// Segment colours from the 256-colour cube, apart on both dark and light backgrounds.
const SEGMENT: [u8; 12] = [39, 208, 76, 170, 220, 44, 203, 141, 114, 215, 33, 162];

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(&self, c: u8) -> Style {
        if self.color {
            Style::new().fg(Color::Indexed(c))
        } else {
            Style::new()
        }
    }

    /// Colour of segment number `i` in list order.
    pub fn segment_color(&self, i: usize) -> Option<Color> {
        self.color
            .then(|| Color::Indexed(SEGMENT[i % SEGMENT.len()]))
    }

    pub fn segment(&self, i: usize) -> Style {
        self.fg(SEGMENT[i % SEGMENT.len()])
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn title(&self) -> Style {
        self.fg(75).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Indexed(245))
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn good(&self) -> Style {
        self.fg(71)
    }

    pub fn bad(&self) -> Style {
        self.fg(167).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(214)
    }

    pub fn focus_border(&self) -> Style {
        self.fg(75)
    }
}
