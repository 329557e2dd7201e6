//! RFM quintile scores, the conventional RFM segment names, and the value tier.

/// Recency, frequency and monetary quintile scores (5 best, 1 worst; 0 for customers without orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rfm {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

impl Rfm {
    /// The usual three-digit code, e.g. "545"; "000" without orders.
    pub fn code(&self) -> String {
        format!("{}{}{}", self.r, self.f, self.m)
    }
}

/// Quintile scores among customers with at least one order. Ties share the average rank, so equal
/// values always get the same score. Lower recency is better.
pub fn rfm_scores(recency: &[f64], frequency: &[f64], monetary: &[f64]) -> Vec<Rfm> {
    let buyers: Vec<usize> = (0..frequency.len())
        .filter(|&i| frequency[i] > 0.0)
        .collect();
    let neg_recency: Vec<f64> = recency.iter().map(|r| -r).collect();
    let r = quintiles(&neg_recency, &buyers);
    let f = quintiles(frequency, &buyers);
    let m = quintiles(monetary, &buyers);
    (0..frequency.len())
        .map(|i| Rfm {
            r: r[i],
            f: f[i],
            m: m[i],
        })
        .collect()
}

/// Score 1..=5 by average-rank quantile among `members` (higher value = higher score); 0 elsewhere.
fn quintiles(values: &[f64], members: &[usize]) -> Vec<u8> {
    let mut out = vec![0u8; values.len()];
    if members.is_empty() {
        return out;
    }
    let mut order: Vec<usize> = members.to_vec();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let n = order.len() as f64;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        // Average 0-based rank of the tie group, as a fraction in [0, 1).
        let q = ((start + end) as f64 / 2.0 + 0.5) / n;
        let score = ((q * 5.0).floor() as u8 + 1).min(5);
        for &i in &order[start..=end] {
            out[i] = score;
        }
        start = end + 1;
    }
    out
}

/// Every name [`rfm_segment`] gives, so words about them can be recognised.
pub const SEGMENT_NAMES: [&str; 11] = [
    "prospect",
    "champions",
    "loyal",
    "cannot_lose",
    "at_risk",
    "new",
    "potential_loyalist",
    "need_attention",
    "promising",
    "hibernating",
    "lost",
];

/// The conventional RFM segment name for a score.
pub fn rfm_segment(s: &Rfm) -> &'static str {
    let (r, f, m) = (s.r, s.f, s.m);
    let fm = (f + m) as f64 / 2.0;
    match () {
        _ if r == 0 => "prospect",
        _ if r >= 4 && fm >= 4.0 => "champions",
        _ if r >= 3 && fm >= 3.5 => "loyal",
        _ if r <= 2 && fm >= 4.5 => "cannot_lose",
        _ if r <= 2 && fm >= 3.0 => "at_risk",
        _ if r >= 4 && f <= 1 => "new",
        _ if r >= 4 => "potential_loyalist",
        _ if r == 3 && fm >= 2.5 => "need_attention",
        _ if r == 3 => "promising",
        _ if r == 2 => "hibernating",
        _ => "lost",
    }
}

/// Value tier by net spend: the top 20% of customers are "high", the next 30% "mid", the rest "low".
/// Customers without spend are always "low"; equal spend always gets the same (lower) tier.
pub fn value_tiers(monetary: &[f64]) -> Vec<&'static str> {
    let n = monetary.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| monetary[b].total_cmp(&monetary[a]).then(a.cmp(&b)));
    let mut out = vec!["low"; n];
    let high = (n as f64 * 0.2).round() as usize;
    let mid = (n as f64 * 0.5).round() as usize;
    for (rank, &i) in order.iter().enumerate() {
        if monetary[i] <= 0.0 {
            continue;
        }
        out[i] = if rank < high {
            "high"
        } else if rank < mid {
            "mid"
        } else {
            "low"
        };
    }
    // Equal spend gets an equal tier: ties across a boundary take the lower tier, so "high" is
    // never given for spend that others at a lower tier match exactly.
    for w in order.windows(2).rev() {
        let (a, b) = (w[0], w[1]);
        if monetary[a] == monetary[b] && out[a] != out[b] {
            out[a] = out[b];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_spread_and_ties() {
        let v: Vec<f64> = (0..10).map(f64::from).collect();
        let all: Vec<usize> = (0..10).collect();
        assert_eq!(quintiles(&v, &all), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let tied = vec![1.0; 10];
        assert_eq!(quintiles(&tied, &all), vec![3; 10]);
    }

    #[test]
    fn scores_ignore_non_buyers() {
        let s = rfm_scores(&[10.0, 400.0, 50.0], &[5.0, 1.0, 0.0], &[500.0, 20.0, 0.0]);
        assert_eq!(s[0], Rfm { r: 4, f: 4, m: 4 });
        assert_eq!(s[1], Rfm { r: 2, f: 2, m: 2 });
        assert_eq!(s[2], Rfm { r: 0, f: 0, m: 0 });
        assert_eq!(rfm_segment(&s[2]), "prospect");
    }

    #[test]
    fn segment_names() {
        assert_eq!(rfm_segment(&Rfm { r: 5, f: 5, m: 5 }), "champions");
        assert_eq!(rfm_segment(&Rfm { r: 1, f: 5, m: 5 }), "cannot_lose");
        assert_eq!(rfm_segment(&Rfm { r: 2, f: 3, m: 4 }), "at_risk");
        assert_eq!(rfm_segment(&Rfm { r: 5, f: 1, m: 2 }), "new");
        assert_eq!(rfm_segment(&Rfm { r: 1, f: 1, m: 1 }), "lost");
        assert_eq!(rfm_segment(&Rfm { r: 2, f: 1, m: 1 }), "hibernating");
    }

    #[test]
    fn tiers() {
        let m: Vec<f64> = (1..=10).map(f64::from).collect();
        let t = value_tiers(&m);
        assert_eq!(t[9], "high");
        assert_eq!(t[8], "high");
        assert_eq!(t[7], "mid");
        assert_eq!(t[5], "mid");
        assert_eq!(t[4], "low");
        assert_eq!(value_tiers(&[0.0, 0.0]), vec!["low", "low"]);
        assert_eq!(value_tiers(&[5.0; 4]), vec!["low"; 4]);
    }
}
