//! Figures in free text with their unit ("$1,234.50", "23%", "2.1x", "3 times", "1.2k") and
//! whether one matches a figure of the profile within the check's tolerance.

use super::facts::{Fact, FactKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Plain,
    Percent,
    Money,
    Times,
}

#[derive(Debug, Clone)]
pub(super) struct Number {
    pub value: f64,
    pub unit: Unit,
    pub raw: String,
    /// Where it starts and ends in the text, in chars.
    pub at: usize,
    pub end: usize,
}

/// Numbers in a text with their unit: "$1,234.50", "23%", "23 percent", "2.1x", "3 times",
/// "1.2k". Digits glued to letters ("B2B", "Q4", "3rd"), parts of "24/7" and list markers are
/// not numbers.
pub(super) fn numbers(text: &str) -> Vec<Number> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let prev = start.checked_sub(1).map(|j| chars[j]);
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || ((chars[i] == ',' || chars[i] == '.')
                    && i + 1 < chars.len()
                    && chars[i + 1].is_ascii_digit()))
        {
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        let next = chars.get(i).copied();
        let digit_at = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(char::is_ascii_digit)
        };
        // Dates (2024-07-02) and codes glued with '-' to other digits are not figures.
        let dated = (prev == Some('-') && digit_at(start.checked_sub(2)))
            || (next == Some('-') && digit_at(Some(i + 1)));
        if prev.is_some_and(|c| c.is_alphabetic() || c == '/' || c == '_')
            || next == Some('/')
            || dated
        {
            continue;
        }
        let Ok(mut value) = raw.replace(',', "").parse::<f64>() else {
            continue;
        };
        // "-0.04" and "−0.04" after a space, a bracket or the start are negative figures;
        // "COVID-19" and ranges such as "3-5" are not.
        let minus = prev.is_some_and(|c| c == '-' || c == '\u{2212}')
            && start
                .checked_sub(2)
                .map(|j| chars[j])
                .is_none_or(|c| c.is_whitespace() || "(:=,;[".contains(c));
        let mut raw = raw;
        if minus {
            value = -value;
            raw.insert(0, '-');
        }
        let money = prev.is_some_and(|c| "$€£¥".contains(c));
        let rest: String = chars[i..].iter().take(9).collect::<String>().to_lowercase();
        let glued = |n: usize| rest.chars().nth(n).is_some_and(char::is_alphabetic);
        let mut unit = if money { Unit::Money } else { Unit::Plain };
        let mut shown = raw.clone();
        if rest.starts_with('%') {
            unit = Unit::Percent;
            shown.push('%');
            i += 1;
        } else if rest.starts_with(" percent") || rest.starts_with(" per cent") {
            unit = Unit::Percent;
            shown.push_str(" percent");
        } else if (rest.starts_with('x') || rest.starts_with('×')) && !glued(1) {
            unit = Unit::Times;
            shown.push('x');
            i += 1;
        } else if rest.starts_with(" times") {
            unit = Unit::Times;
            shown.push_str(" times");
        } else if rest.starts_with('k') && !glued(1) {
            value *= 1000.0;
            shown.push('k');
            i += 1;
        } else if next.is_some_and(char::is_alphabetic) {
            // "3rd", "24h", "4th": not figures of the data.
            continue;
        }
        if money {
            shown.insert(0, prev.unwrap_or('$'));
        }
        out.push(Number {
            value,
            unit,
            raw: shown,
            at: start - usize::from(minus) - usize::from(money),
            end: i,
        });
    }
    out
}

fn close(claim: f64, fact: f64, rel: f64, slack: f64) -> bool {
    (claim - fact).abs() <= (rel * fact.abs()).max(slack)
}

pub(super) fn matches(n: &Number, f: &Fact, rel: f64) -> bool {
    // A figure written to d decimals stands for anything that rounds to it.
    let decimals = n.raw.split_once('.').map_or(0, |(_, f)| {
        f.chars().take_while(char::is_ascii_digit).count()
    });
    let plain_slack = 0.5 * 10f64.powi(-(decimals.min(6) as i32));
    // "a discount rate of 0" says none: it does not stand for 0.37 rounded.
    if n.value == 0.0 {
        let scale = if f.kind == FactKind::Share {
            100.0
        } else {
            1.0
        };
        return (f.value * scale).abs() < 0.05;
    }
    match (n.unit, f.kind) {
        (Unit::Percent, FactKind::Share) => close(n.value, f.value * 100.0, rel, 0.5),
        // A percentage is a share: "37.3%" quotes neither a mean of 37.3 views nor 0.34
        // orders a month.
        (Unit::Percent, FactKind::Value) => false,
        (Unit::Percent, FactKind::Ratio) => close(n.value, (f.value - 1.0) * 100.0, rel, 0.5),
        (Unit::Times, FactKind::Ratio) => close(n.value, f.value, rel, 0.05),
        (Unit::Times, _) => false,
        (Unit::Money, FactKind::Value) => close(n.value, f.value, rel, plain_slack),
        (Unit::Money, _) => false,
        // A share written as a fraction ("0.64") has decimals; "64" is the percentage.
        (Unit::Plain, FactKind::Share) => {
            close(n.value, f.value * 100.0, rel, plain_slack)
                || (decimals > 0 && close(n.value, f.value, rel, plain_slack))
        }
        (Unit::Plain, _) => close(n.value, f.value, rel, plain_slack),
    }
}
