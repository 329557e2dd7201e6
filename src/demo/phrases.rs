//! Search vocabularies and review templates for the synthetic shops.
//!
//! Plain data: a [`QuerySet`] per archetype (the demo's seven in [`QUERIES`], the family's
//! extra ones below them) and review templates organised by theme × sentiment, with openers
//! and closers. Placeholders are those documented in `text.rs`; `compose.rs` fills them.

use super::text::NCAT;

/// A search vocabulary: whole queries tagged with a category (8 = any), and templates.
#[derive(Debug)]
pub struct QuerySet {
    /// Complete queries with the category they belong to (`NCAT` means "no particular one").
    pub full: &'static [(&'static str, u8)],
    /// Templates filled with a noun / name piece of the event's category.
    pub templates: &'static [&'static str],
    /// Probability of using a complete query instead of a template.
    pub full_p: f64,
}

const ANY: u8 = NCAT as u8;

/// Search vocabularies per archetype, in `ARCHETYPES` order.
pub static QUERIES: [QuerySet; 7] = [
    // electronics_enthusiast
    QuerySet {
        full: &[
            ("noise cancelling headphones", 0),
            ("4k monitor 27 inch", 0),
            ("usb c hub", 0),
            ("mechanical keyboard", 0),
            ("gaming mouse wireless", 0),
            ("best earbuds 2026", 0),
            ("laptop 32gb ram", 0),
            ("smartwatch gps", 0),
            ("portable ssd 2tb", 0),
            ("mesh wifi router", 0),
            ("webcam 1080p", 0),
            ("power bank 20000mah", 0),
            ("oled monitor 144hz", 0),
            ("drone with 4k camera", 0),
            ("e reader waterproof", 0),
            ("thunderbolt dock", 0),
            ("bluetooth 5.3 speaker", 0),
        ],
        templates: &[
            "{n}",
            "best {n}",
            "{n} review",
            "{b} {n}",
            "{n} pro",
            "{m} {n}",
            "{n} specs",
            "{n} vs {m}",
        ],
        full_p: 0.45,
    },
    // fashion_beauty_browser
    QuerySet {
        full: &[
            ("linen dress", 1),
            ("foundation shade match", 2),
            ("slim fit jeans", 1),
            ("cashmere sweater", 1),
            ("size guide dresses", 1),
            ("hydrating serum dry skin", 2),
            ("wool coat long", 1),
            ("matte lipstick nude", 2),
            ("cotton shirt regular fit", 1),
            ("vegan leather boots", 1),
            ("mascara sensitive eyes", 2),
            ("wide leg trousers", 1),
            ("concealer for dark circles", 2),
            ("breathable fabric summer dress", 1),
            ("fragrance free moisturiser", 2),
        ],
        templates: &[
            "{m} {n}",
            "{n} size {s}",
            "{n}",
            "{n} fit",
            "{m} {n} {s}",
            "{n} for sensitive skin",
            "{n} true to size",
        ],
        full_p: 0.4,
    },
    // new_arrival_follower
    QuerySet {
        full: &[
            ("new in", ANY),
            ("just dropped sneakers", 1),
            ("trending dresses 2026", 1),
            ("limited edition", ANY),
            ("new arrivals", ANY),
            ("viral lipstick", 2),
            ("influencer picks", ANY),
            ("new collection", 1),
            ("whats trending", ANY),
            ("tiktok famous serum", 2),
            ("restock", ANY),
            ("collab drop", 1),
            ("as seen on instagram", ANY),
            ("summer 2026 trends", 1),
            ("new launch makeup", 2),
        ],
        templates: &[
            "new {n}",
            "trending {n}",
            "just dropped {n}",
            "{n} new collection",
            "limited edition {n}",
            "{b} new drop",
            "viral {n}",
            "{m} {n} trend",
        ],
        full_p: 0.45,
    },
    // promo_hunter
    QuerySet {
        full: &[
            ("sale", ANY),
            ("discount code", ANY),
            ("clearance", ANY),
            ("coupon", ANY),
            ("deals of the day", ANY),
            ("outlet", ANY),
            ("black friday", ANY),
            ("buy one get one free", ANY),
            ("cheap running shoes", 4),
            ("clearance sofa", 3),
            ("free shipping", ANY),
            ("price drop", ANY),
            ("multipack offer", 7),
            ("toys under 10", 6),
            ("bulk coffee deal", 7),
        ],
        templates: &[
            "cheap {n}",
            "{n} sale",
            "{n} discount",
            "{n} clearance",
            "{n} under {d}",
            "{n} deal",
            "{m} {n} offer",
            "{n} coupon",
        ],
        full_p: 0.45,
    },
    // window_shopper
    QuerySet {
        full: &[
            ("gift ideas", ANY),
            ("gifts for him", ANY),
            ("gifts for her", ANY),
            ("birthday present", ANY),
            ("housewarming gift", 3),
            ("home office setup", 0),
            ("camping gear", 4),
            ("bestsellers", ANY),
            ("summer reading", 5),
            ("kids birthday", 6),
            ("healthy snacks", 7),
            ("weekend outfit", 1),
            ("skincare routine", 2),
        ],
        templates: &[
            "{n}",
            "{m} {n}",
            "best {n}",
            "{n} ideas",
            "{c}",
            "{c} {n}",
            "{n} reviews",
            "{m}",
        ],
        full_p: 0.3,
    },
    // loyal_high_value
    QuerySet {
        full: &[
            ("gift card", ANY),
            ("premium", ANY),
            ("order again", ANY),
            ("extended warranty", 0),
            ("home office chair", 3),
            ("wool coat", 1),
        ],
        templates: &[
            "{b} {n}",
            "{b}",
            "{n} premium",
            "{n}",
            "{m} {n}",
            "{b} {m} {n}",
        ],
        full_p: 0.2,
    },
    // lapsed
    QuerySet {
        full: &[
            ("order status", ANY),
            ("return policy", ANY),
            ("track my order", ANY),
            ("refund", ANY),
            ("delivery times", ANY),
            ("contact customer service", ANY),
        ],
        templates: &["{n}", "{m} {n}"],
        full_p: 0.5,
    },
];

/// Home improvement and tools: the DIY maker.
pub static Q_DIY: QuerySet = QuerySet {
    full: &[
        ("cordless drill set", 3),
        ("wall anchors heavy duty", 3),
        ("paint roller kit", 3),
        ("shelf brackets oak", 3),
        ("tile grout white", 3),
        ("workbench lamp led", 3),
        ("how to hang floating shelves", 3),
        ("wood stain walnut", 3),
        ("garden hose reel", 3),
        ("stud finder", 0),
        ("sandpaper assortment", 3),
        ("raised bed planter", 3),
    ],
    templates: &[
        "{n} dimensions",
        "{m} {n} diy",
        "{n} assembly",
        "{n} mounting",
        "{n} size",
    ],
    full_p: 0.5,
};

/// Sustainable, natural home: the eco nester (same behaviour as the DIY maker).
pub static Q_ECO_HOME: QuerySet = QuerySet {
    full: &[
        ("organic cotton bedding", 3),
        ("bamboo towels", 3),
        ("plastic free kitchen", 3),
        ("recycled glass vase", 3),
        ("natural cleaning products", 3),
        ("fsc certified wood", 3),
        ("linen curtains natural", 3),
        ("compost bin kitchen", 3),
        ("beeswax wraps", 7),
        ("refillable soap", 2),
        ("low energy lamp", 3),
        ("sustainable home decor", 3),
    ],
    templates: &[
        "organic {n}",
        "sustainable {n}",
        "eco {n}",
        "natural {m} {n}",
        "{n} recycled",
    ],
    full_p: 0.5,
};

/// Training, outdoors, kit.
pub static Q_SPORTS: QuerySet = QuerySet {
    full: &[
        ("running shoes wide fit", 4),
        ("yoga mat non slip", 4),
        ("adjustable dumbbells", 4),
        ("cycling jersey", 4),
        ("hiking backpack 30l", 4),
        ("resistance bands set", 4),
        ("tennis racket", 4),
        ("protein shaker", 7),
        ("gps running watch", 0),
        ("trail running shoes", 4),
    ],
    templates: &["{b} {n}", "{n}", "{m} {n}", "{b} {m} {n}", "{n} training"],
    full_p: 0.4,
};

/// Children and family life.
pub static Q_KIDS: QuerySet = QuerySet {
    full: &[
        ("lego set age 8", 6),
        ("school backpack", 6),
        ("kids rain jacket", 1),
        ("board games family", 6),
        ("picture books toddler", 5),
        ("lunch box kids", 3),
        ("craft kit kids", 6),
        ("baby wipes bulk", 7),
        ("kids bike helmet", 4),
        ("birthday party supplies", 6),
    ],
    templates: &[
        "{n} for kids",
        "{n} age {d}",
        "kids {n}",
        "{m} {n} family",
        "{n} toddler",
    ],
    full_p: 0.45,
};

/// Pantry, household staples.
pub static Q_GROCERY: QuerySet = QuerySet {
    full: &[
        ("coffee beans 1kg", 7),
        ("olive oil 5l", 7),
        ("pasta multipack", 7),
        ("oat milk case", 7),
        ("dishwasher tablets", 3),
        ("toilet paper bulk", 3),
        ("rice 10kg", 7),
        ("green tea bags", 7),
        ("snack box", 7),
        ("sparkling water crate", 7),
    ],
    templates: &[
        "{n} pack",
        "{n} bulk",
        "{m} {n}",
        "{n} case",
        "{n} {d} pack",
    ],
    full_p: 0.5,
};

/// Reordering the usual: the subscriber and replenisher.
pub static Q_REORDER: QuerySet = QuerySet {
    full: &[
        ("reorder", ANY),
        ("my usual", ANY),
        ("subscribe and save", ANY),
        ("refill", ANY),
        ("order history", ANY),
        ("auto delivery", ANY),
        ("coffee refill", 7),
        ("shampoo refill", 2),
        ("contact lens solution", 2),
    ],
    templates: &["{b} {n}", "{n} refill", "{n} subscription", "{b} {m} {n}"],
    full_p: 0.45,
};

/// Presents, for someone else.
pub static Q_GIFTS: QuerySet = QuerySet {
    full: &[
        ("christmas gifts", ANY),
        ("gifts for dad", ANY),
        ("gifts for mum", ANY),
        ("stocking fillers", 6),
        ("advent calendar", 7),
        ("gift wrap", ANY),
        ("secret santa under 20", ANY),
        ("gift set beauty", 2),
        ("toys for 5 year old", 6),
        ("personalised gift", ANY),
        ("last minute gifts", ANY),
    ],
    templates: &[
        "{n} gift",
        "{n} gift set",
        "{n} for him",
        "{n} for her",
        "{m} {n} present",
    ],
    full_p: 0.5,
};

/// Premium labels and craftsmanship.
pub static Q_LUXURY: QuerySet = QuerySet {
    full: &[
        ("cashmere coat", 1),
        ("designer handbag", 1),
        ("silk scarf", 1),
        ("premium headphones", 0),
        ("italian leather shoes", 1),
        ("luxury skincare", 2),
        ("handmade ceramics", 3),
        ("limited edition watch", 0),
    ],
    templates: &[
        "{b} {n}",
        "{b}",
        "premium {n}",
        "luxury {n}",
        "{m} {n} handmade",
    ],
    full_p: 0.4,
};

/// Sizes, exchanges and returns: the serial returner.
pub static Q_RETURNS: QuerySet = QuerySet {
    full: &[
        ("free returns", ANY),
        ("size guide", 1),
        ("exchange size", 1),
        ("return label", ANY),
        ("true to size", 1),
        ("try before you buy", ANY),
    ],
    templates: &["{n} size {s}", "{n} {s}", "{m} {n}", "{n} fit"],
    full_p: 0.4,
};

/// Review theme: specs, performance, setup (electronics products only).
pub const THEME_TECH: usize = 0;
/// Fit, fabric, sizing, cut (fashion products); also the entry point of the "detail" theme.
pub const THEME_FIT: usize = 1;
/// Shade matching, texture, skin feel (beauty products).
pub const THEME_FIT_BEAUTY: usize = 2;
/// Comparing options, materials, dimensions (the "detail" theme for other categories).
pub const THEME_COMPARE: usize = 3;
/// Trends, drops, launches, influencers, sharing.
pub const THEME_TREND: usize = 4;
/// Price, value, deals, coupons.
pub const THEME_VALUE: usize = 5;
/// Reliability, service, quality.
pub const THEME_QUALITY: usize = 6;
/// Delivery problems and disappointment.
pub const THEME_DELIVERY: usize = 7;
/// Plain product talk.
pub const THEME_GENERIC: usize = 8;
/// Number of themes (a review off its archetype's theme may use any of them).
pub const NTHEMES: usize = 9;

/// Review templates per theme (in `THEME_*` order) and sentiment (neg, mixed, pos).
pub const REVIEWS: [[&[&str]; 3]; NTHEMES] = [
    // tech
    [
        &[
            "The {a} is poor and the {n} kept disconnecting after {d} days.",
            "Stopped charging after {d} days, the {a} is nowhere near the advertised specs.",
            "Overheats constantly and the drivers are a mess, worst {n} I have owned.",
            "Firmware update bricked my {p}, and the {a} was mediocre before that anyway.",
            "Benchmarks are way below what {b} claims, the {a} is a joke.",
        ],
        &[
            "Specs are fine but the {a} is only average for a {n} at this price.",
            "Setup was fiddly and the companion app needs work, though the {a} is decent.",
            "The {p} does the job, but the {a} could be better and the firmware is buggy.",
            "Good hardware, weak software: the {a} is great but bluetooth pairing drops sometimes.",
        ],
        &[
            "The {a} on the {p} is excellent and setup took under {d} minutes.",
            "Benchmarked the {n} against my old one and the {a} is noticeably better.",
            "Firmware updated straight out of the box, pairing was instant and the {a} is superb.",
            "Solid specs, the {a} beats what {b} promised on the spec sheet.",
            "Upgraded from an older {n} and the difference in {a} is night and day.",
            "Latency is low, usb-c charging is fast and the {a} is best in class.",
        ],
    ],
    // fit / fabric / sizing (fashion)
    [
        &[
            "Sizing is way off, the {s} fits like two sizes smaller and the fabric feels cheap.",
            "Fabric pilled after one wash and the fit is boxy.",
            "The fabric is scratchy and the cut is unflattering, the size chart is wrong.",
            "Compared it with the {n} I already own and the material is much thinner, runs small too.",
            "Seams started coming apart and the fabric is see-through, sizing is inconsistent.",
        ],
        &[
            "The fabric is nice but it runs a bit small, I'd size up from {s}.",
            "Fabric feels okay though the length was shorter than the size chart said.",
            "Comfortable, but the stitching looks a bit uneven and the fit is loose at the waist.",
            "Tried two sizes side by side, the {s} fits better but the fabric creases easily.",
        ],
        &[
            "The fit is perfect and the fabric feels soft, I took my usual size {s}.",
            "Sizing runs true to size and the fabric has a lovely weight to it.",
            "Great cut, flattering fit and the {a} holds up after washing.",
            "Soft breathable fabric, comfortable all day and the size chart was accurate.",
            "Compared three similar options and this {n} has the best fabric and the neatest stitching.",
        ],
    ],
    // shade / texture / skin feel (beauty)
    [
        &[
            "The texture is sticky and it made my skin break out.",
            "Shade is nothing like the swatch, way too orange for my skin tone.",
            "Feels greasy on the skin and the {a} goes patchy after an hour.",
            "Compared it with my usual {n} and the formula is drying, my skin felt tight all day.",
        ],
        &[
            "Shade is slightly darker than the swatch, texture is fine once blended.",
            "Nice {a}, but it feels a little heavy on my skin.",
            "The texture is lovely, though I had to mix two shades to match my skin tone.",
            "Gentle on sensitive skin, but the {a} fades faster than the one I compared it with.",
        ],
        &[
            "The shade matched my skin tone perfectly and it feels light on the skin.",
            "Silky texture, absorbs quickly and my skin feels soft and hydrated.",
            "Compared three {c} options before choosing this one and the {a} is the nicest.",
            "Blends like a dream, the {a} is buildable and it doesn't irritate my sensitive skin.",
            "Finally a true shade match for my skin, the texture is smooth and not sticky.",
        ],
    ],
    // comparing options / materials / dimensions (other categories)
    [
        &[
            "Compared it side by side with two other {n} options and this one has the worst {a}.",
            "Materials feel flimsy and the dimensions are smaller than listed.",
            "The {a} doesn't match the description, and I checked the details twice before ordering.",
        ],
        &[
            "Spent ages comparing options, the {a} is good but the materials feel cheaper than expected.",
            "Dimensions are as listed, though the {a} is only average compared with similar ones.",
            "Weighed up a few alternatives; this {n} is fine but the finish has small flaws.",
        ],
        &[
            "Compared several options before picking this {n}, the {a} and the feel of the materials beat the rest.",
            "Read every detail in the listing and it matches exactly, the {a} feels solid and well made.",
            "Measured twice before ordering and the dimensions are spot on, lovely {a}.",
            "Checked the materials carefully and this {n} feels much nicer in the hand than the alternatives.",
        ],
    ],
    // trend
    [
        &[
            "Totally overhyped launch, nothing like the viral posts everyone shared.",
            "Waited for this drop for weeks and it's a letdown, the influencer photos were misleading.",
            "Bought the {p} because it was trending but my friends thought it looked cheap.",
            "The new release hype is not real, already out of style on my feed.",
        ],
        &[
            "Hyped it up after the launch but it is less exciting in person than on my feed.",
            "Cute for the trend right now, not sure it will still be in next season.",
            "Got it from the new drop, looks good in pics but the influencer version looked better.",
            "Limited edition packaging is fun, the {n} itself is just okay for all the buzz.",
        ],
        &[
            "Grabbed the {p} the day it dropped, everyone on my feed has been talking about it.",
            "Limited edition and totally worth the hype, already posted my outfit for my friends.",
            "Saw it on an influencer's story and had to have it, just dropped and nearly sold out.",
            "This new release is so on trend, my friends all asked where I got it.",
            "Part of the new collection launch and it looks amazing in photos, shared it straight away.",
            "First to get the new {n} in my group chat, the {b} drop did not disappoint.",
        ],
    ],
    // value
    [
        &[
            "Not worth it even at the sale price, the {a} is terrible.",
            "Discount code didn't work and the {n} is overpriced for what it is.",
            "Cheap in every sense, should have spent a little more.",
            "Waited for the promo and still feel ripped off, the {a} is bad.",
        ],
        &[
            "Fine for the price, but I wouldn't pay full price for it.",
            "Decent value on sale, the {a} is what you'd expect from a budget {n}.",
            "The coupon didn't apply at checkout but the sale price was still okay.",
            "Good deal for {d} euros, quality matches the price tag.",
        ],
        &[
            "Got it with a {d}% discount code, incredible value for money.",
            "Bought the {p} in the sale and the price was unbeatable.",
            "Stacked a coupon on top of the clearance price, bargain of the year.",
            "Cheaper than anywhere else I checked, great deal.",
            "Picked up two in the multibuy offer, amazing value for the money.",
        ],
    ],
    // quality / service
    [
        &[
            "Quality has slipped, this {n} is not the standard I've come to expect after years as a customer.",
            "Support ignored my emails about a faulty {n}, very disappointing from a shop I trusted.",
            "Broke within {d} weeks, reliability used to be so much better.",
        ],
        &[
            "Quality is good as usual, though this {n} feels a little less premium than the last one.",
            "Service was helpful but it took two emails to sort out a small issue.",
            "Reliable as ever, only the {a} is slightly below the usual {b} standard.",
        ],
        &[
            "Another reliable purchase, I have been ordering here for years and the quality never disappoints.",
            "Customer service was fantastic when I had a question about the {n}.",
            "Excellent build quality, the {p} feels like it will last for years.",
            "Consistent quality as always, {b} is a brand I trust.",
            "Premium feel and the {a} is top notch, exactly what I expect from this shop.",
            "Still using the one I bought years ago, so ordering a second was easy, dependable as ever.",
        ],
    ],
    // delivery
    [
        &[
            "Delivery was {d} days late and the box was damaged.",
            "Arrived broken and the return process was a nightmare, I gave up on this shop.",
            "Wrong item delivered and nobody answered my emails, really disappointed.",
            "Parcel got lost twice, took a month to receive my {n}.",
            "Courier left it in the rain, the {n} was ruined and the refund took weeks.",
        ],
        &[
            "The {n} is fine but delivery took {d} days longer than promised.",
            "Package arrived dented, the product itself was okay.",
            "Tracking never updated, but it did show up eventually.",
        ],
        &[
            "Arrived a day early and well packaged.",
            "Delivery was quick and the courier was friendly.",
            "Shipped the same day, the {n} arrived in perfect condition.",
        ],
    ],
    // generic
    [
        &[
            "Not as described, the {a} is disappointing.",
            "Didn't like the {n} at all.",
            "Poor {a}, sending it back.",
            "The {p} looked nicer in the pictures.",
        ],
        &[
            "It's okay, the {a} is average.",
            "Does the job, nothing special.",
            "Decent {n} but I expected a bit more.",
            "The {p} is alright, the {a} could be better.",
        ],
        &[
            "Really nice {n}, does exactly what I needed.",
            "Happy with the {p}, the {a} is great.",
            "Good {c} item, would buy from {b} again.",
            "Exactly as described, very pleased.",
            "Lovely {n}, the {a} is even better than expected.",
        ],
    ],
];

/// Openers per sentiment (neg, mixed, pos).
pub const OPENERS: [&[&str]; 3] = [
    &[
        "Disappointed.",
        "Not great.",
        "Ugh.",
        "Honestly, no.",
        "Meh.",
        "Sadly, no.",
        "Well...",
    ],
    &[
        "Hmm.",
        "It's okay.",
        "Mixed feelings.",
        "Not bad, not great.",
        "So-so.",
        "Okay-ish.",
    ],
    &[
        "Love it!",
        "Really happy.",
        "Great buy.",
        "Wow.",
        "So good!",
        "Very pleased.",
        "Yes!",
    ],
];

/// Closers per sentiment (neg, mixed, pos).
pub const CLOSERS: [&[&str]; 3] = [
    &[
        "Would not recommend.",
        "Returning it.",
        "Avoid.",
        "Never again.",
        "One star is generous.",
    ],
    &[
        "Might keep it.",
        "We'll see how it holds up.",
        "3 stars.",
        "Could be worse.",
    ],
    &[
        "Would recommend.",
        "Will buy again.",
        "Thanks!",
        ":)",
        "10/10",
        "Highly recommend!",
    ],
];
