//! Word lists and sentence templates for the synthetic demo shop.
//!
//! Everything here is plain data: product-name pieces, brands and attributes per category,
//! search vocabularies per archetype and review templates organised by theme × sentiment.
//! The generator in `demo.rs` owns all randomness and all placeholder filling.
//!
//! Template placeholders: `{p}` product name, `{n}` product noun (lower case), `{a}` a
//! category attribute, `{b}` brand, `{c}` category name, `{d}` a small number, `{s}` a size,
//! `{m}` a lower-case name piece of the category (search queries only).

/// Number of product categories.
pub const NCAT: usize = 8;

/// Category names, in the index order used everywhere in the generator.
pub const CATEGORIES: [&str; NCAT] = [
    "electronics",
    "fashion",
    "beauty",
    "home",
    "sports",
    "books",
    "toys",
    "grocery",
];

/// How product names of one category are put together and priced.
pub struct CatSpec {
    /// Number of products in the catalogue for this category.
    pub count: usize,
    /// Lowest and highest allowed price (currency units).
    pub price_range: (f64, f64),
    /// Log-scale spread of a product's price around its noun's median.
    pub sigma: f64,
    /// First name piece (series, material, adjective), always present.
    pub first: &'static [&'static str],
    /// Optional second piece (qualifier, style, ingredient).
    pub second: &'static [&'static str],
    /// Probability that the second piece is used.
    pub second_p: f64,
    /// Product nouns with their median price.
    pub nouns: &'static [(&'static str, f64)],
    /// Whether the noun is part of the product name (books use titles instead).
    pub noun_in_name: bool,
    /// Optional trailing model / size piece.
    pub suffixes: &'static [&'static str],
    /// Probability that a suffix is used.
    pub suffix_p: f64,
    /// Brands selling in this category.
    pub brands: &'static [&'static str],
    /// Attributes that reviews talk about.
    pub attrs: &'static [&'static str],
}

/// Per-category catalogue specifications (same order as [`CATEGORIES`]); counts sum to 600.
pub const CAT_SPECS: [CatSpec; NCAT] = [
    CatSpec {
        count: 110,
        price_range: (40.0, 900.0),
        sigma: 0.35,
        first: &[
            "Aurora", "Nova", "Pulse", "Zenith", "Vertex", "Echo", "Quantum", "Orion", "Helix",
            "Nimbus", "Volt", "Axis", "Lumen", "Sonic", "Apex", "Stratus",
        ],
        second: &[
            "Wireless",
            "Smart",
            "Pro",
            "Ultra",
            "Compact",
            "Portable",
            "Gaming",
            "4K",
            "Noise Cancelling",
            "Mini",
        ],
        second_p: 0.7,
        nouns: &[
            ("Earbuds", 90.0),
            ("Headphones", 180.0),
            ("Speaker", 120.0),
            ("Smartwatch", 250.0),
            ("Monitor", 320.0),
            ("Keyboard", 95.0),
            ("Mouse", 55.0),
            ("Tablet", 420.0),
            ("Laptop", 850.0),
            ("Webcam", 70.0),
            ("Charger", 45.0),
            ("Power Bank", 50.0),
            ("USB-C Hub", 48.0),
            ("Router", 140.0),
            ("Action Camera", 300.0),
            ("E-Reader", 150.0),
            ("Drone", 520.0),
            ("Soundbar", 280.0),
            ("SSD", 110.0),
            ("Projector", 480.0),
        ],
        noun_in_name: true,
        suffixes: &[
            " 2", " X", " S", " Max", " Lite", " 300", " 500", " Gen 3", " Air",
        ],
        suffix_p: 0.45,
        brands: &[
            "Voltra",
            "Sonexa",
            "Kirin Labs",
            "Brightwave",
            "Nexon",
            "Tekko",
            "Arclight",
        ],
        attrs: &[
            "battery life",
            "sound quality",
            "screen",
            "build quality",
            "connectivity",
            "performance",
            "noise cancelling",
            "charging speed",
        ],
    },
    CatSpec {
        count: 120,
        price_range: (15.0, 150.0),
        sigma: 0.3,
        first: &[
            "Linen",
            "Cotton",
            "Denim",
            "Wool",
            "Silk",
            "Cashmere",
            "Jersey",
            "Corduroy",
            "Satin",
            "Organic Cotton",
            "Merino",
            "Vegan Leather",
        ],
        second: &[
            "Wrap",
            "Slim Fit",
            "Oversized",
            "Cropped",
            "Relaxed",
            "Pleated",
            "Classic",
            "High-Rise",
            "Ribbed",
            "Tailored",
        ],
        second_p: 0.75,
        nouns: &[
            ("Dress", 55.0),
            ("Shirt", 35.0),
            ("Jeans", 60.0),
            ("Blazer", 95.0),
            ("T-Shirt", 18.0),
            ("Sweater", 55.0),
            ("Skirt", 40.0),
            ("Jacket", 110.0),
            ("Trousers", 50.0),
            ("Hoodie", 45.0),
            ("Scarf", 25.0),
            ("Coat", 135.0),
            ("Sneakers", 80.0),
            ("Boots", 120.0),
            ("Cardigan", 50.0),
        ],
        noun_in_name: true,
        suffixes: &[],
        suffix_p: 0.0,
        brands: &[
            "Maison Vell",
            "Northloom",
            "Atelier Roux",
            "Kestrel & Co",
            "Urbana",
            "Fable Street",
            "Solenne",
        ],
        attrs: &[
            "fit",
            "fabric",
            "stitching",
            "cut",
            "material",
            "length",
            "waistband",
            "lining",
        ],
    },
    CatSpec {
        count: 80,
        price_range: (8.0, 60.0),
        sigma: 0.3,
        first: &[
            "Hydrating",
            "Radiant",
            "Velvet",
            "Matte",
            "Glow",
            "Soothing",
            "Brightening",
            "Nourishing",
            "Silk",
            "Dewy",
            "Pure",
            "Daily",
        ],
        second: &[
            "Rose",
            "Vitamin C",
            "Hyaluronic",
            "Aloe",
            "Green Tea",
            "Charcoal",
            "Collagen",
            "Argan",
        ],
        second_p: 0.5,
        nouns: &[
            ("Serum", 28.0),
            ("Face Cream", 24.0),
            ("Foundation", 30.0),
            ("Lipstick", 18.0),
            ("Mascara", 16.0),
            ("Cleanser", 14.0),
            ("Face Mask", 12.0),
            ("Eyeshadow Palette", 35.0),
            ("Body Lotion", 12.0),
            ("Perfume", 52.0),
            ("Concealer", 20.0),
            ("Shampoo", 10.0),
            ("Nail Polish", 9.0),
        ],
        noun_in_name: true,
        suffixes: &[" 30ml", " 50ml", " Travel Size"],
        suffix_p: 0.15,
        brands: &[
            "Lumiere",
            "Petal & Pine",
            "Dermaly",
            "Oro Beauty",
            "Skinfolk",
            "Verra",
        ],
        attrs: &[
            "texture",
            "shade",
            "scent",
            "finish",
            "consistency",
            "coverage",
            "packaging",
        ],
    },
    CatSpec {
        count: 90,
        price_range: (10.0, 400.0),
        sigma: 0.35,
        first: &[
            "Oak",
            "Walnut",
            "Ceramic",
            "Linen",
            "Marble",
            "Bamboo",
            "Velvet",
            "Rattan",
            "Glass",
            "Cast Iron",
            "Stoneware",
            "Copper",
        ],
        second: &["Nordic", "Vintage", "Minimal", "Boho", "Classic", "Modern"],
        second_p: 0.3,
        nouns: &[
            ("Side Table", 120.0),
            ("Lamp", 60.0),
            ("Throw Blanket", 45.0),
            ("Cushion Cover", 20.0),
            ("Vase", 30.0),
            ("Dinner Set", 80.0),
            ("Frying Pan", 45.0),
            ("Bookshelf", 180.0),
            ("Mirror", 90.0),
            ("Rug", 150.0),
            ("Bedding Set", 70.0),
            ("Coffee Maker", 110.0),
            ("Storage Basket", 25.0),
            ("Sofa", 380.0),
        ],
        noun_in_name: true,
        suffixes: &[],
        suffix_p: 0.0,
        brands: &[
            "Hearth & Co",
            "Nordhem",
            "Casa Lino",
            "Woodwick Home",
            "Ambra",
            "Still Living",
        ],
        attrs: &[
            "finish",
            "build quality",
            "size",
            "material",
            "colour",
            "assembly",
        ],
    },
    CatSpec {
        count: 60,
        price_range: (10.0, 300.0),
        sigma: 0.3,
        first: &[
            "Trail",
            "Velocity",
            "Summit",
            "Core",
            "Flex",
            "Endurance",
            "Stride",
            "Peak",
            "Aero",
            "Grip",
        ],
        second: &[],
        second_p: 0.0,
        nouns: &[
            ("Running Shoes", 90.0),
            ("Yoga Mat", 30.0),
            ("Dumbbell Set", 60.0),
            ("Cycling Helmet", 70.0),
            ("Tennis Racket", 85.0),
            ("Water Bottle", 15.0),
            ("Backpack", 55.0),
            ("Resistance Bands", 18.0),
            ("Football", 25.0),
            ("Hiking Jacket", 120.0),
            ("Swim Goggles", 18.0),
            ("Gym Bag", 35.0),
        ],
        noun_in_name: true,
        suffixes: &[" Pro", " Lite", " 2.0", " Elite"],
        suffix_p: 0.3,
        brands: &["Stridex", "Altura", "Kinetic", "Boreal Sport", "Ridgeline"],
        attrs: &[
            "grip",
            "cushioning",
            "durability",
            "breathability",
            "fit",
            "weight",
        ],
    },
    CatSpec {
        count: 50,
        price_range: (6.0, 40.0),
        sigma: 0.2,
        first: &[
            "Silent", "Hidden", "Last", "Golden", "Broken", "Midnight", "Northern", "Secret",
            "Quiet", "Wild", "Paper", "Salt",
        ],
        second: &[
            "Garden",
            "River",
            "Kingdom",
            "Letter",
            "Harbour",
            "Orchard",
            "Promise",
            "Archive",
            "Lighthouse",
            "Signal",
            "Winter",
            "Road",
        ],
        second_p: 1.0,
        nouns: &[
            ("Novel", 15.0),
            ("Cookbook", 25.0),
            ("Thriller", 13.0),
            ("Travel Guide", 20.0),
            ("Biography", 22.0),
            ("Poetry Collection", 14.0),
            ("Graphic Novel", 18.0),
            ("Picture Book", 10.0),
        ],
        noun_in_name: false,
        suffixes: &[" Vol. 2", " (Paperback)", " (Hardcover)"],
        suffix_p: 0.2,
        brands: &[
            "Larkspur Press",
            "Quayside Books",
            "Meridian House",
            "Inkwell",
        ],
        attrs: &[
            "writing",
            "story",
            "print quality",
            "pacing",
            "characters",
            "binding",
        ],
    },
    CatSpec {
        count: 45,
        price_range: (5.0, 120.0),
        sigma: 0.3,
        first: &[
            "Rainbow", "Galaxy", "Jungle", "Robo", "Tiny", "Magic", "Super", "Wooden", "Ocean",
            "Dino",
        ],
        second: &[],
        second_p: 0.0,
        nouns: &[
            ("Building Blocks", 35.0),
            ("Puzzle", 15.0),
            ("Plush Bear", 20.0),
            ("Remote Control Car", 45.0),
            ("Board Game", 30.0),
            ("Doll House", 70.0),
            ("Train Set", 55.0),
            ("Science Kit", 30.0),
            ("Art Set", 20.0),
            ("Card Game", 12.0),
        ],
        noun_in_name: true,
        suffixes: &[" Deluxe", " Junior", " XL"],
        suffix_p: 0.25,
        brands: &["Playfox", "Bricklet", "Moonbeam Toys", "Tumbletown"],
        attrs: &[
            "build quality",
            "colours",
            "durability",
            "instructions",
            "play value",
        ],
    },
    CatSpec {
        count: 45,
        price_range: (2.0, 40.0),
        sigma: 0.3,
        first: &[
            "Organic",
            "Roasted",
            "Artisan",
            "Wholegrain",
            "Fair Trade",
            "Italian",
            "Smoked",
            "Wild",
            "Cold-Pressed",
            "Himalayan",
        ],
        second: &[],
        second_p: 0.0,
        nouns: &[
            ("Coffee Beans", 12.0),
            ("Olive Oil", 11.0),
            ("Dark Chocolate", 4.0),
            ("Green Tea", 6.0),
            ("Pasta", 3.0),
            ("Honey", 8.0),
            ("Granola", 6.0),
            ("Almonds", 9.0),
            ("Sea Salt", 4.0),
            ("Protein Bars", 14.0),
            ("Spice Mix", 5.0),
        ],
        noun_in_name: true,
        suffixes: &[" 250g", " 500g", " 1kg", " 6-pack", " 12-pack"],
        suffix_p: 0.6,
        brands: &[
            "Green Basket",
            "Terra Pantry",
            "Casa Olivo",
            "Daily Harvest",
            "Bean & Leaf",
        ],
        attrs: &["taste", "freshness", "packaging", "flavour", "aroma"],
    },
];

/// Countries with their relative weight and cities.
pub const COUNTRIES: [(&str, f64, &[&str]); 10] = [
    (
        "Germany",
        22.0,
        &[
            "Berlin",
            "Hamburg",
            "Munich",
            "Cologne",
            "Frankfurt",
            "Leipzig",
        ],
    ),
    (
        "France",
        16.0,
        &["Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes"],
    ),
    (
        "United Kingdom",
        16.0,
        &[
            "London",
            "Manchester",
            "Birmingham",
            "Leeds",
            "Glasgow",
            "Bristol",
        ],
    ),
    (
        "Netherlands",
        8.0,
        &[
            "Amsterdam",
            "Rotterdam",
            "Utrecht",
            "The Hague",
            "Eindhoven",
        ],
    ),
    (
        "Spain",
        10.0,
        &["Madrid", "Barcelona", "Valencia", "Seville", "Bilbao"],
    ),
    (
        "Italy",
        10.0,
        &["Milan", "Rome", "Turin", "Naples", "Bologna"],
    ),
    (
        "Poland",
        6.0,
        &["Warsaw", "Krakow", "Wroclaw", "Gdansk", "Poznan"],
    ),
    (
        "Sweden",
        4.0,
        &["Stockholm", "Gothenburg", "Malmo", "Uppsala"],
    ),
    ("Belgium", 4.0, &["Brussels", "Antwerp", "Ghent", "Liege"]),
    ("Austria", 4.0, &["Vienna", "Graz", "Salzburg", "Linz"]),
];

/// Clothing / shoe sizes for `{s}`.
pub const SIZES: [&str; 10] = [
    "XS", "S", "M", "L", "XL", "38", "40", "UK 10", "UK 12", "EU 42",
];

/// A search vocabulary: whole queries tagged with a category (8 = any), and templates.
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
pub const QUERIES: [QuerySet; 7] = [
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
/// Number of themes.
pub const NTHEMES: usize = 9;

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
