//! The deterministic persona written from the profile by template, used when no model can be
//! loaded (or a model's reply could not be used). It states only figures of the profile, so it
//! passes the grounding check by construction; every output marks it "not model-written".

use super::persona::{Campaign, Persona};
use super::prompt::pct;
use crate::profile::{FeatureStat, SegmentProfile};

fn stat<'a>(p: &'a SegmentProfile, name: &str) -> Option<&'a FeatureStat> {
    p.features.iter().find(|f| f.name == name)
}

fn above(p: &SegmentProfile, needle: &str) -> Option<bool> {
    let f = p
        .features
        .iter()
        .find(|f| f.name.contains(needle) && f.std_diff.is_some_and(|d| d.abs() >= 0.3))?;
    Some(f.std_diff? > 0.0)
}

fn dominant(m: &std::collections::BTreeMap<String, f64>) -> Option<(&String, f64)> {
    m.iter()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, v)| (k, *v))
}

fn title_case(s: &str) -> String {
    s.split(['_', ' ', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A persona from the profile alone. `taken` are names already used; the name is made unique
/// against them.
pub fn persona(p: &SegmentProfile, taken: &[String]) -> Persona {
    let category = p.top_categories.first().map(|c| title_case(&c.category));
    let tier = dominant(&p.value_tiers).map(|(t, _)| title_case(t));
    let lapsed = above(p, "recency");
    let discount = above(p, "discount");
    let noun = match (lapsed, discount) {
        (Some(true), _) => "Drifters",
        (_, Some(true)) => "Deal Seekers",
        _ if above(p, "frequency") == Some(true) => "Regulars",
        _ => "Shoppers",
    };
    let base = match (&tier, &category) {
        (Some(t), Some(c)) => format!("{t}-Value {c} {noun}"),
        (None, Some(c)) => format!("{c} {noun}"),
        (Some(t), None) => format!("{t}-Value {noun}"),
        (None, None) => format!("Segment {} {noun}", p.key()),
    };
    let mut name: String = base.chars().take(super::persona::NAME_MAX).collect();
    if taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = super::persona::with_segment(&name, p.key());
    }

    let mut facts = vec![format!(
        "{} customers, {}% of all customers",
        p.size,
        pct(p.share)
    )];
    facts.extend(p.traits.iter().take(3).cloned());
    if let Some(c) = p.top_categories.first() {
        facts.push(format!(
            "{} is {}% of their spend vs {}% for everyone",
            c.category,
            pct(c.share),
            pct(c.population_share)
        ));
    }
    facts.truncate(4);

    let mut summary = format!(
        "Segment {} holds {} customers ({}% of the shop).",
        p.id,
        p.size,
        pct(p.share)
    );
    if let Some(t) = p.traits.first() {
        summary.push_str(&format!(" Most distinctive: {t}."));
    }
    if let Some(c) = &category {
        summary.push_str(&format!(" Their spend leans toward {c}."));
    }
    if let Some((t, s)) = dominant(&p.value_tiers) {
        summary.push_str(&format!(" {}% are in the {t} value tier.", pct(s)));
    }

    let mut motivations = Vec::new();
    if let Some(c) = &category {
        motivations.push(format!("Finding the right {c} products"));
    }
    if discount == Some(true) {
        motivations.push("Getting a good deal".to_string());
    }
    if above(p, "frequency") == Some(true) {
        motivations.push("Convenient repeat purchases".to_string());
    }
    motivations.push("Products that match their past purchases".to_string());
    motivations.truncate(3);
    if motivations.len() < 2 {
        motivations.push("Good value for money".to_string());
    }

    let mut pain_points = Vec::new();
    if above(p, "return") == Some(true) {
        pain_points.push("Purchases that do not meet expectations and are returned".to_string());
    }
    if lapsed == Some(true) {
        pain_points.push("No recent reason to come back to the shop".to_string());
    }
    if let Some(s) = stat(p, "mean_sentiment").and_then(|f| f.std_diff) {
        if s < -0.3 {
            pain_points.push("Disappointing experiences shown in their reviews".to_string());
        }
    }
    pain_points.push("Generic offers that ignore what they buy".to_string());
    if pain_points.len() < 2 {
        pain_points.push("Too many irrelevant messages".to_string());
    }
    pain_points.truncate(3);

    let focus = category.clone().unwrap_or_else(|| "favourite".into());
    let mut campaigns = vec![if lapsed == Some(true) {
        Campaign {
            title: "Win-back reminder".into(),
            channel: "email".into(),
            offer: "A time-limited welcome-back voucher".into(),
            message: format!("We miss you: new {focus} picks chosen for you."),
            target_kpi: "Reactivation rate within 30 days".into(),
        }
    } else {
        Campaign {
            title: format!("New in {focus}").chars().take(60).collect(),
            channel: "email".into(),
            offer: "Early access to new arrivals".into(),
            message: format!("Be the first to see the latest {focus} products."),
            target_kpi: "Click-through rate".into(),
        }
    }];
    campaigns.push(if discount == Some(true) {
        Campaign {
            title: "Member-only deals".into(),
            channel: "push".into(),
            offer: "A bundle discount instead of blanket markdowns".into(),
            message: "Your deals, picked from what you like.".into(),
            target_kpi: "Orders per customer".into(),
        }
    } else {
        Campaign {
            title: "Loyalty thank-you".into(),
            channel: "loyalty program".into(),
            offer: "Bonus points on the next order".into(),
            message: "Thanks for shopping with us: here is something extra.".into(),
            target_kpi: "Repeat purchase rate".into(),
        }
    });

    Persona {
        name,
        tagline: format!(
            "{} customers{}",
            p.size,
            category
                .as_ref()
                .map(|c| format!(" who lean toward {c}"))
                .unwrap_or_default()
        ),
        facts,
        summary,
        motivations,
        pain_points,
        preferred_channels: vec!["email".into()],
        campaigns,
    }
    .clamp_to_schema()
}
