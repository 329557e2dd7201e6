//! The table readers on any bytes: the first byte picks the table and its format (CSV or
//! Parquet), the rest is the file. Beside it lies a small valid shop, so the fuzzed file is read,
//! validated and joined like a real export. `seglens::data::load` must answer with a shop or a
//! `DataError`, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const TABLES: [&str; 5] = ["orders", "customers", "products", "events", "reviews"];

const ORDERS: &str = "order_id,customer_id,order_date,product_id,category,unit_price,quantity,discount,returned
o1,C1,2024-01-02 10:00:00,P1,books,12.5,1,0,false
o2,C2,2024-02-03 11:00:00,P2,toys,30,2,5,true
o3,C1,2024-03-04,P2,toys,30,1,0,false
";
const CUSTOMERS: &str = "customer_id,signup_date,country\nC1,2023-01-01,France\nC2,2023-05-06,Spain\n";

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("seglens-fuzz-tables-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    })
}

fn config() -> &'static seglens::config::Config {
    static CONFIG: OnceLock<seglens::config::Config> = OnceLock::new();
    CONFIG.get_or_init(seglens::config::Config::default)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let table = TABLES[usize::from(pick) % TABLES.len()];
    let ext = if pick & 0x80 != 0 { "parquet" } else { "csv" };
    let d = dir();
    for entry in std::fs::read_dir(d).expect("read temp dir").flatten() {
        let _ = std::fs::remove_file(entry.path());
    }
    std::fs::write(d.join("orders.csv"), ORDERS).expect("write");
    std::fs::write(d.join("customers.csv"), CUSTOMERS).expect("write");
    if matches!(table, "orders" | "customers") {
        let _ = std::fs::remove_file(d.join(format!("{table}.csv")));
    }
    std::fs::write(d.join(format!("{table}.{ext}")), body).expect("write");
    if let Ok(shop) = seglens::data::load(d, config()) {
        let _ = shop.customer_ids();
    }
});
