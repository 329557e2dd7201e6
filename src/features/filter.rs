//! Filters over per-customer features, written the way marketers say them: `monetary>500`,
//! `value_tier=high`, `city~lyon`, joined by `,` or ` and `. One parser for every place that
//! filters customers (the model's `members` tool and the UI's members table).

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    /// Text contains (case-insensitive).
    Contains,
}

/// Operators by their spelling; two-character ones first so `>=` is not read as `>`.
const OPS: [(&str, Op); 7] = [
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("!=", Op::Ne),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("=", Op::Eq),
    ("~", Op::Contains),
];

/// One `column op value` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub column: String,
    pub op: Op,
    pub value: String,
}

impl Condition {
    /// The value as a number, for numeric columns.
    pub fn number(&self) -> Option<f64> {
        self.value.parse().ok()
    }

    /// Whether a numeric cell passes (missing values never do).
    pub fn holds_num(&self, x: f64, n: f64) -> bool {
        !x.is_nan()
            && match self.op {
                Op::Gt => x > n,
                Op::Ge => x >= n,
                Op::Lt => x < n,
                Op::Le => x <= n,
                Op::Ne => (x - n).abs() > 1e-9,
                Op::Eq | Op::Contains => (x - n).abs() <= 1e-9,
            }
    }

    /// Whether a text cell passes (case-insensitive; `>` and `<` compare as `=`).
    pub fn holds_text(&self, s: &str) -> bool {
        match self.op {
            Op::Ne => !s.eq_ignore_ascii_case(&self.value),
            Op::Contains => s.to_lowercase().contains(&self.value.to_lowercase()),
            _ => s.eq_ignore_ascii_case(&self.value),
        }
    }
}

/// Parses `f` into its conditions; an error says which part is wrong and how to write it.
pub fn parse(f: &str) -> Result<Vec<Condition>, String> {
    let mut out = Vec::new();
    for part in f.split(',').flat_map(|p| p.split(" and ")) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((at, spelled, op)) = OPS
            .iter()
            .filter_map(|(s, op)| part.find(s).map(|i| (i, *s, *op)))
            .min_by_key(|(i, s, _)| (*i, std::cmp::Reverse(s.len())))
        else {
            return Err(format!(
                "'{part}' is not a condition: write feature>number, feature=value or feature~text"
            ));
        };
        let column = part[..at].trim().to_string();
        let value = part[at + spelled.len()..]
            .trim()
            .trim_matches('"')
            .to_string();
        if column.is_empty() || value.is_empty() {
            return Err(format!("'{part}' needs a feature and a value"));
        }
        out.push(Condition { column, op, value });
    }
    if out.is_empty() {
        return Err(
            "the filter is empty: write feature>number, feature=value or feature~text".into(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        assert_eq!(
            parse("monetary > 500").unwrap(),
            vec![Condition {
                column: "monetary".into(),
                op: Op::Gt,
                value: "500".into()
            }]
        );
        assert!(parse("monetary").is_err());
        assert!(parse(">5").is_err());
    }

    #[test]
    fn two_character_operators_and_conjunctions() {
        let c = parse("monetary>=10 and value_tier=high, city~ly").unwrap();
        let ops: Vec<Op> = c.iter().map(|c| c.op).collect();
        assert_eq!(ops, vec![Op::Ge, Op::Eq, Op::Contains]);
        assert_eq!(c[1].value, "high");
        assert!(c[0].holds_num(10.0, 10.0) && !c[0].holds_num(f64::NAN, 10.0));
        assert!(c[1].holds_text("HIGH") && c[2].holds_text("Lyon"));
    }
}
