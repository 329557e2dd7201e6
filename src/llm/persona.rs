//! The persona: its JSON schema (turned into a llama.cpp grammar so every reply parses), the
//! parsed form, and the record kept for each segment (persona, grounding, transcript, origin).
//!
//! Every string and list in the schema has a maximum length, so a reply that follows the grammar
//! is bounded and generation always ends.

use serde::{Deserialize, Serialize};

use super::engine::Message;
use super::grounding::Grounding;

/// Channels a campaign or persona may name (closed list, so reports can group by channel).
pub const CHANNELS: [&str; 10] = [
    "email",
    "sms",
    "push",
    "social",
    "search ads",
    "display ads",
    "in-app",
    "direct mail",
    "loyalty program",
    "influencers",
];

/// Upper bounds of the schema, also used to size the token cap of a reply.
pub const NAME_MAX: usize = 40;
const TAGLINE_MAX: usize = 90;
const SUMMARY_MAX: usize = 320;
const ITEM_MAX: usize = 100;
const FACT_MAX: usize = 120;
const TITLE_MAX: usize = 50;
const OFFER_MAX: usize = 100;
const MESSAGE_MAX: usize = 160;
const KPI_MAX: usize = 60;

/// The persona schema (JSON Schema, property order as the model should write them). Facts are
/// not in it: they are the card's own statements, added after the reply is parsed, so the model
/// spends no tokens copying them and cannot misquote them.
pub fn schema() -> String {
    let channels = serde_json::to_string(&CHANNELS).unwrap_or_default();
    let s = |min: usize, max: usize| {
        format!(r#"{{"type":"string","minLength":{min},"maxLength":{max}}}"#)
    };
    let list = |item: String, min: usize, max: usize| {
        format!(r#"{{"type":"array","items":{item},"minItems":{min},"maxItems":{max}}}"#)
    };
    let channel = format!(r#"{{"type":"string","enum":{channels}}}"#);
    let campaign = format!(
        r#"{{"type":"object","properties":{{"title":{},"channel":{channel},"offer":{},"message":{},"target_kpi":{}}},"required":["title","channel","offer","message","target_kpi"],"additionalProperties":false}}"#,
        s(5, TITLE_MAX),
        s(5, OFFER_MAX),
        s(10, MESSAGE_MAX),
        s(5, KPI_MAX)
    );
    format!(
        r#"{{"type":"object","properties":{{"name":{},"tagline":{},"summary":{},"motivations":{},"pain_points":{},"preferred_channels":{},"campaigns":{}}},"required":["name","tagline","summary","motivations","pain_points","preferred_channels","campaigns"],"additionalProperties":false}}"#,
        s(3, NAME_MAX),
        s(10, TAGLINE_MAX),
        s(40, SUMMARY_MAX),
        list(s(5, ITEM_MAX), 2, 3),
        list(s(5, ITEM_MAX), 2, 3),
        list(channel, 1, 3),
        list(campaign, 2, 3),
    )
}

/// Longest reply the schema allows, in characters (a token is at least one character), with
/// room for JSON punctuation and the whitespace the grammar permits.
pub fn max_reply_chars() -> usize {
    NAME_MAX
        + TAGLINE_MAX
        + SUMMARY_MAX
        + 6 * ITEM_MAX
        + 3 * 16
        + 3 * (TITLE_MAX + 16 + OFFER_MAX + MESSAGE_MAX + KPI_MAX)
        + 600
}

/// One suggested campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub title: String,
    pub channel: String,
    pub offer: String,
    pub message: String,
    pub target_kpi: String,
}

/// A persona as the schema defines it (`Default`: every field empty, for checking one claim).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    pub name: String,
    pub tagline: String,
    /// Facts about the segment the persona relies on: the card's own statements (not written
    /// by the model; older personas.json files hold the model's).
    #[serde(default)]
    pub facts: Vec<String>,
    pub summary: String,
    pub motivations: Vec<String>,
    pub pain_points: Vec<String>,
    pub preferred_channels: Vec<String>,
    pub campaigns: Vec<Campaign>,
}

/// `name` made unique by its segment number, within the name's length bound.
pub fn with_segment(name: &str, segment: impl std::fmt::Display) -> String {
    let suffix = format!(" (Segment {segment})");
    let keep = NAME_MAX.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(keep).collect();
    format!("{}{suffix}", base.trim_end())
}

fn cut(s: &mut String, max: usize) {
    if s.chars().count() > max {
        *s = s
            .chars()
            .take(max)
            .collect::<String>()
            .trim_end()
            .to_string();
    }
}

impl Persona {
    /// Cuts strings and lists to the schema's bounds (for personas not written under the
    /// grammar, such as the template fallback).
    pub fn clamp_to_schema(mut self) -> Self {
        cut(&mut self.name, NAME_MAX);
        cut(&mut self.tagline, TAGLINE_MAX);
        cut(&mut self.summary, SUMMARY_MAX);
        self.facts.truncate(4);
        self.facts.iter_mut().for_each(|f| cut(f, FACT_MAX));
        for l in [&mut self.motivations, &mut self.pain_points] {
            l.truncate(3);
            l.iter_mut().for_each(|x| cut(x, ITEM_MAX));
        }
        self.preferred_channels.truncate(3);
        self.campaigns.truncate(3);
        for c in &mut self.campaigns {
            cut(&mut c.title, TITLE_MAX);
            cut(&mut c.offer, OFFER_MAX);
            cut(&mut c.message, MESSAGE_MAX);
            cut(&mut c.target_kpi, KPI_MAX);
        }
        self
    }

    /// Parses a reply and checks what the grammar cannot (trimmed non-empty strings).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p: Persona = serde_json::from_str(text.trim())
            .map_err(|e| format!("reply is not a persona: {e}"))?;
        p.name = p.name.trim().to_string();
        if p.name.is_empty() {
            return Err("the persona has an empty name".into());
        }
        if p.campaigns.is_empty() {
            return Err("the persona has no campaigns".into());
        }
        Ok(p)
    }
}

/// Where a persona came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Written by the LLM.
    Model,
    /// Written from the profile by template because no model could be used.
    Template,
}

/// One tool call and its result, as shown to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolStep {
    pub call: String,
    pub result: String,
}

/// Everything kept about one segment's persona.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonaRecord {
    /// The segment's id (a sub-segment's id inside its parent: see `key`).
    pub segment: i32,
    /// The segment's key: `3` for a segment, `3.1` for a sub-segment. Empty in personas.json
    /// files written before sub-segments; [`PersonaRecord::normalise_key`] fills it in.
    #[serde(default)]
    pub key: String,
    pub size: usize,
    pub share: f64,
    pub origin: Origin,
    /// "model-written" or "not model-written", spelled out for readers of the JSON.
    pub written_by: String,
    pub persona: Persona,
    pub grounding: Grounding,
    /// true when grounding stayed below the threshold after the retry, or the name had to be
    /// changed by seglens: shown in every output.
    pub flagged: bool,
    pub notes: Vec<String>,
    /// How many generations this persona took (1 = first try).
    pub attempts: usize,
    pub from_cache: bool,
    pub tools: Vec<ToolStep>,
    /// The full conversation with the model, for the report's transcript.
    pub transcript: Vec<Message>,
    pub generated_tokens: usize,
}

impl PersonaRecord {
    /// Fills in the key of a record read from an older personas.json (the segment's id).
    pub fn normalise_key(&mut self) {
        if self.key.is_empty() {
            self.key = self.segment.to_string();
        }
    }

    /// The parent segment and the sub-segment of the key (`3.1` -> (3, Some(1))), for ordering
    /// sub-segments under their parents.
    pub fn key_order(&self) -> (i32, Option<i32>) {
        key_order(&self.key)
    }
}

/// `3` -> (3, None), `3.1` -> (3, Some(1)); anything else sorts last.
pub fn key_order(key: &str) -> (i32, Option<i32>) {
    match key.split_once('.') {
        Some((p, c)) => (
            p.trim().parse().unwrap_or(i32::MAX),
            Some(c.trim().parse().unwrap_or(i32::MAX)),
        ),
        None => (key.trim().parse().unwrap_or(i32::MAX), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_valid_json_with_bounds() {
        let v: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        assert_eq!(v["properties"]["name"]["maxLength"], NAME_MAX);
        assert_eq!(v["properties"]["campaigns"]["maxItems"], 3);
        assert_eq!(v["required"].as_array().unwrap().len(), 7);
        // Facts are the card's statements, added by seglens, never written by the model.
        assert!(v["properties"].get("facts").is_none());
    }

    #[test]
    fn parse_rejects_wrong_shape_and_trims_name() {
        assert!(Persona::parse("{\"name\": 1}").is_err());
        let ok = r#"{"name":"  Deal Hunters ","tagline":"t","facts":[],"summary":"s",
            "motivations":[],"pain_points":[],"preferred_channels":["email"],
            "campaigns":[{"title":"a","channel":"email","offer":"o","message":"m","target_kpi":"k"}]}"#;
        assert_eq!(Persona::parse(ok).unwrap().name, "Deal Hunters");
    }
}
