//! Every bad-input case of the data contract gets its own test: a clear error naming the file, the
//! row and the column, a non-zero exit (3 for data problems), and no partial outputs.

mod common;

use common::{customers_csv, no_outputs, orders_csv, seglens, segment, segment_json, shop};
use predicates::prelude::*;

/// Runs `segment` on the files and expects a data error whose message contains every `needle`.
fn expect_data_error(files: &[(&str, &[u8])], needles: &[&str]) {
    let (_dir, data, out) = shop(files);
    let assert = segment(&data, &out, &["--k", "2"]).assert().code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(no_outputs(&out), "outputs were left behind");
}

fn orders_with_line(line: &str) -> Vec<u8> {
    let mut s = orders_csv();
    s.push_str(line);
    s.push('\n');
    s.into_bytes()
}

/// The data row number (header = row 1) of the line appended by `orders_with_line`.
fn appended_row() -> String {
    format!("row {}", orders_csv().lines().count() + 1)
}

#[test]
fn missing_data_directory() {
    seglens()
        .args([
            "segment",
            "--data",
            "/nonexistent/shop",
            "--out",
            "/tmp/never",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("/nonexistent/shop"));
}

#[test]
fn missing_orders_table() {
    expect_data_error(
        &[("customers.csv", customers_csv().as_bytes())],
        &["no orders table", "orders.csv"],
    );
}

#[test]
fn missing_required_column() {
    let body = orders_csv().replace("unit_price", "price_eur");
    expect_data_error(
        &[("orders.csv", body.as_bytes())],
        &[
            "orders.csv",
            "missing required column 'unit_price'",
            "[columns.orders] unit_price",
        ],
    );
}

#[test]
fn semicolon_separated_file_gets_a_hint() {
    let body = orders_csv().replace(',', ";");
    expect_data_error(
        &[("orders.csv", body.as_bytes())],
        &["orders.csv", "missing required column", "separated by ';'"],
    );
}

#[test]
fn unparseable_number() {
    let body = orders_with_line("x1,C001,2024-03-01,P1,books,12.5O,1,0,false");
    expect_data_error(
        &[("orders.csv", &body)],
        &["orders.csv", &appended_row(), "unit_price", "12.5O"],
    );
}

#[test]
fn unparseable_date() {
    let body = orders_with_line("x1,C001,31/02/2024,P1,books,12.5,1,0,false");
    expect_data_error(
        &[("orders.csv", &body)],
        &["orders.csv", &appended_row(), "order_date", "31/02/2024"],
    );
}

#[test]
fn negative_price() {
    let body = orders_with_line("x1,C001,2024-03-01,P1,books,-4,1,0,false");
    expect_data_error(
        &[("orders.csv", &body)],
        &["orders.csv", &appended_row(), "unit_price", "-4"],
    );
}

#[test]
fn negative_quantity() {
    let body = orders_with_line("x1,C001,2024-03-01,P1,books,4,-2,0,false");
    expect_data_error(
        &[("orders.csv", &body)],
        &["orders.csv", &appended_row(), "quantity", "-2"],
    );
}

#[test]
fn duplicate_customer_ids() {
    let mut c = customers_csv();
    c.push_str("C005,2023-02-01,FR\n");
    expect_data_error(
        &[
            ("orders.csv", orders_csv().as_bytes()),
            ("customers.csv", c.as_bytes()),
        ],
        &["customers.csv", "rows 7 and 62", "customer_id", "C005"],
    );
}

#[test]
fn table_names_match_case_insensitively() {
    let (_dir, data, out) = shop(&[("Orders.CSV", orders_csv().as_bytes())]);
    segment(&data, &out, &["--k", "2"]).assert().success();
}

#[test]
fn empty_file() {
    expect_data_error(&[("orders.csv", b"")], &["orders.csv", "is empty"]);
}

#[test]
fn header_only_file() {
    expect_data_error(
        &[(
            "orders.csv",
            b"order_id,customer_id,order_date,product_id,unit_price\n",
        )],
        &["orders.csv", "no data rows"],
    );
}

#[test]
fn non_utf8_bytes() {
    let mut body = orders_csv().into_bytes();
    body.extend_from_slice(b"x1,C001,2024-03-01,P1,caf\xe9,4,1,0,false\n");
    expect_data_error(
        &[("orders.csv", &body)],
        &["orders.csv", &appended_row(), "category", "UTF-8"],
    );
}

#[test]
fn corrupt_parquet() {
    expect_data_error(
        &[("orders.parquet", b"PAR1 this is not really parquet PAR1")],
        &["orders.parquet", "not a readable Parquet file"],
    );
}

#[test]
fn both_csv_and_parquet() {
    expect_data_error(
        &[
            ("orders.csv", orders_csv().as_bytes()),
            ("orders.parquet", b"PAR1"),
        ],
        &["orders.csv", "orders.parquet", "keep one"],
    );
}

#[test]
fn ragged_csv_row() {
    let body = orders_with_line("x1,C001,2024-03-01");
    let (_dir, data, out) = shop(&[("orders.csv", &body)]);
    // A short row leaves required cells empty: reported at its row.
    let a = segment(&data, &out, &[]).assert().code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("orders.csv") && err.contains(&appended_row()),
        "{err}"
    );
}

#[test]
fn too_many_unknown_customers_is_an_error() {
    let customers = "customer_id\nC000\nC001\n";
    expect_data_error(
        &[
            ("orders.csv", orders_csv().as_bytes()),
            ("customers.csv", customers.as_bytes()),
        ],
        &[
            "orders.csv",
            "missing from the customers table",
            "max_bad_row_share",
        ],
    );
}

#[test]
fn a_few_unknown_customers_are_dropped_with_a_warning() {
    let mut body = orders_csv();
    body.push_str("x1,GHOST,2024-03-01,P1,books,4,1,0,false\n");
    let (_dir, data, out) = shop(&[
        ("orders.csv", body.as_bytes()),
        ("customers.csv", customers_csv().as_bytes()),
    ]);
    let cfg = data.parent().unwrap().join("seglens.toml");
    std::fs::write(&cfg, "[validation]\nmax_bad_row_share = 0.05\n").unwrap();
    assert_cmd::Command::cargo_bin("seglens")
        .unwrap()
        .args(["segment", "--k", "2", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .arg("--config")
        .arg(&cfg)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("dropped 1 of").and(predicate::str::contains("orders.csv")),
        );
    assert!(out.join("run.json").exists());
}

#[test]
fn rating_out_of_range_is_dropped_with_a_warning() {
    let mut reviews = String::from("customer_id,text,rating\n");
    for c in 0..60 {
        reviews.push_str(&format!("C{c:03},fine,4\n"));
    }
    reviews.push_str("C001,whatever,9\n");
    let (_dir, data, out) = shop(&[
        ("orders.csv", orders_csv().as_bytes()),
        ("reviews.csv", reviews.as_bytes()),
    ]);
    let cfg = data.parent().unwrap().join("seglens.toml");
    std::fs::write(&cfg, "[validation]\nmax_bad_row_share = 0.05\n").unwrap();
    assert_cmd::Command::cargo_bin("seglens")
        .unwrap()
        .args(["segment", "--k", "2", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .arg("--config")
        .arg(&cfg)
        .assert()
        .success()
        .stderr(
            predicate::str::contains("rating outside 1-5").and(predicate::str::contains("row 62")),
        );
}

#[test]
fn bom_crlf_and_quoted_newlines_are_accepted() {
    let mut body = vec![0xEF, 0xBB, 0xBF];
    body.extend_from_slice(orders_csv().replace('\n', "\r\n").as_bytes());
    let reviews = "customer_id,text,rating\r\nC001,\"Loved it.\r\nWould buy again, twice\",5\r\nC002,ok,3\r\n";
    let (_dir, data, out) = shop(&[("orders.csv", &body), ("reviews.csv", reviews.as_bytes())]);
    segment(&data, &out, &["--k", "2"]).assert().success();
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["customers"], 60);
    let reviews = run["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == "reviews")
        .unwrap();
    assert_eq!(reviews["rows"], 2);
}

#[test]
fn remapped_columns_load_a_foreign_export() {
    let body = orders_csv()
        .replacen("customer_id", "household_id", 1)
        .replacen("unit_price", "price", 1);
    let (_dir, data, out) = shop(&[("orders.csv", body.as_bytes())]);
    let cfg = data.parent().unwrap().join("seglens.toml");
    std::fs::write(
        &cfg,
        "[columns.orders]\ncustomer_id = \"household_id\"\nunit_price = \"price\"\n",
    )
    .unwrap();
    segment(&data, &out, &["--k", "2"])
        .arg("--config")
        .arg(&cfg)
        .assert()
        .success();
    assert!(out.join("assignments.parquet").exists());
}

#[test]
fn a_mapping_to_a_column_that_is_not_there_is_named() {
    let (_dir, data, out) = shop(&[("orders.csv", orders_csv().as_bytes())]);
    let cfg = data.parent().unwrap().join("seglens.toml");
    std::fs::write(&cfg, "[columns.orders]\ncustomer_id = \"household\"\n").unwrap();
    segment(&data, &out, &["--config", cfg.to_str().unwrap()])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("'household'")
                .and(predicate::str::contains("[columns.orders] customer_id")),
        );
}

#[test]
fn failed_run_keeps_earlier_outputs() {
    let (_dir, data, out) = shop(&[("orders.csv", orders_csv().as_bytes())]);
    segment(&data, &out, &["--k", "2"]).assert().success();
    let before = std::fs::read(out.join("assignments.parquet")).unwrap();
    std::fs::write(
        data.join("orders.csv"),
        orders_with_line("x,C001,2024-01-01,P1,books,abc,1,0,false"),
    )
    .unwrap();
    segment(&data, &out, &["--k", "2"]).assert().code(3);
    assert_eq!(
        std::fs::read(out.join("assignments.parquet")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn bad_config_exits_2() {
    let (_dir, data, out) = shop(&[("orders.csv", orders_csv().as_bytes())]);
    let cfg = data.parent().unwrap().join("seglens.toml");
    std::fs::write(&cfg, "[cluster]\nk_mni = 3\n").unwrap();
    segment(&data, &out, &[])
        .arg("--config")
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("k_mni"));
}

#[test]
fn parquet_input_gives_the_same_segments_as_csv() {
    use polars::prelude::*;
    let (_dir, data, out) = shop(&[("orders.csv", orders_csv().as_bytes())]);
    segment(&data, &out, &["--k", "2"]).assert().success();

    // The same table as typed Parquet (numbers, booleans and text inferred by polars).
    let mut df = CsvReadOptions::default()
        .try_into_reader_with_file_path(Some(data.join("orders.csv")))
        .unwrap()
        .finish()
        .unwrap();
    assert!(df
        .column("unit_price")
        .unwrap()
        .dtype()
        .is_primitive_numeric());
    assert_eq!(df.column("returned").unwrap().dtype(), &DataType::Boolean);
    let pq_data = data.parent().unwrap().join("pq");
    std::fs::create_dir_all(&pq_data).unwrap();
    let mut f = std::fs::File::create(pq_data.join("orders.parquet")).unwrap();
    ParquetWriter::new(&mut f).finish(&mut df).unwrap();
    let pq_out = data.parent().unwrap().join("pq_out");
    segment(&pq_data, &pq_out, &["--k", "2"]).assert().success();

    let read = |p: &std::path::Path| {
        ParquetReader::new(std::fs::File::open(p.join("assignments.parquet")).unwrap())
            .finish()
            .unwrap()
    };
    let (a, b) = (read(&out), read(&pq_out));
    assert!(a
        .column("segment")
        .unwrap()
        .equals(b.column("segment").unwrap()));
    assert!(a
        .column("customer_id")
        .unwrap()
        .equals(b.column("customer_id").unwrap()));
}

#[test]
fn customers_without_orders_are_segmented_too() {
    let mut customers = customers_csv();
    customers.push_str("C900,2024-01-01,DE\nC901,2024-02-01,FR\n");
    let (_dir, data, out) = shop(&[
        ("orders.csv", orders_csv().as_bytes()),
        ("customers.csv", customers.as_bytes()),
    ]);
    let v = segment_json(&data, &out, &["--k", "2"]);
    assert_eq!(v["customers"], 62);
}

#[test]
fn too_many_fields_names_the_row() {
    let body = orders_with_line("x1,C001,2024-03-01,P1,books,4,1,0,false,surplus");
    expect_data_error(
        &[("orders.csv", &body)],
        &["orders.csv", &appended_row(), "10 fields", "header has 9"],
    );
}

#[test]
fn unclosed_quote_names_the_row_and_stays_short() {
    let body = orders_with_line("x1,C001,2024-03-01,\"P1,books,4,1,0,false");
    let (_dir, data, out) = shop(&[("orders.csv", &body)]);
    let a = segment(&data, &out, &[]).assert().code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains(&appended_row()) && err.contains("never closed"),
        "{err}"
    );
    assert!(err.len() < 1000, "error message is {} bytes", err.len());
}

#[test]
fn trailing_blank_lines_are_ignored() {
    let mut body = orders_csv();
    body.push_str("\n\r\n,,,,,,,,\n\n");
    let (_dir, data, out) = shop(&[("orders.csv", body.as_bytes())]);
    segment(&data, &out, &["--k", "2"]).assert().success();
}

#[test]
fn duplicate_header_names_are_an_error() {
    let body = orders_csv().replacen("category", "customer_id", 1);
    expect_data_error(
        &[("orders.csv", body.as_bytes())],
        &["orders.csv", "'customer_id' appears more than once"],
    );
}

#[test]
fn extra_columns_named_like_internal_ones_are_kept_aside() {
    let mut body = String::new();
    for (i, line) in orders_csv().lines().enumerate() {
        body.push_str(line);
        body.push_str(if i == 0 { ",segment,ts\n" } else { ",vip,x\n" });
    }
    let (_dir, data, out) = shop(&[("orders.csv", body.as_bytes())]);
    segment(&data, &out, &["--k", "2"]).assert().success();
}

#[test]
fn a_category_called_other_does_not_clash() {
    let body = orders_csv().replace(",books,", ",Other,");
    let (_dir, data, out) = shop(&[("orders.csv", body.as_bytes())]);
    segment(&data, &out, &["--k", "2"]).assert().success();
}

#[test]
fn all_weights_zero_is_a_clear_error() {
    let (_dir, data, out) = shop(&[("orders.csv", orders_csv().as_bytes())]);
    let cfg = data.parent().unwrap().join("seglens.toml");
    std::fs::write(&cfg, "[features.weights]\n\"*\" = 0\n").unwrap();
    let a = segment(&data, &out, &["--config", cfg.to_str().unwrap()])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("weight 0") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!out.exists(), "no output directory for a failed run");
}

/// One bad line among the valid ones is dropped with a warning naming the problem and the row.
fn expect_dropped_row(line: &str, what: &str) {
    let body = orders_with_line(line);
    let (_dir, data, out) = shop(&[("orders.csv", &body)]);
    assert_cmd::Command::cargo_bin("seglens")
        .unwrap()
        .args(["segment", "--k", "2", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(
            predicate::str::contains(what)
                .and(predicate::str::contains("dropped 1 of"))
                .and(predicate::str::contains(appended_row())),
        );
}

#[test]
fn discount_above_line_value_is_a_row_problem() {
    expect_dropped_row(
        "x1,C001,2024-03-01,P1,books,4,1,500,false",
        "discount larger than the line's value",
    );
}

#[test]
fn dates_outside_1970_2099_are_row_problems() {
    expect_dropped_row(
        "x1,C001,9999-12-31,P1,books,4,1,0,false",
        "before 1970 or after 2099",
    );
}

#[test]
fn as_of_before_every_order_is_an_error() {
    let (_dir, data, out) = shop(&[("orders.csv", orders_csv().as_bytes())]);
    segment(&data, &out, &["--as-of", "2020-01-01"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("before the as-of date 2020-01-01"));
}

#[test]
fn parquet_datetimes_dates_decimals_and_categoricals_load() {
    use polars::prelude::*;
    let (_dir, data, out) = shop(&[
        ("orders.csv", orders_csv().as_bytes()),
        ("customers.csv", customers_csv().as_bytes()),
    ]);
    let read = |name: &str| {
        CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(data.join(name)))
            .unwrap()
            .finish()
            .unwrap()
    };
    let secs = |df: &DataFrame, c: &str| -> Vec<i64> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .into_iter()
            .map(|v| seglens::data::parse_timestamp(v.unwrap()).unwrap())
            .collect()
    };
    let mut orders = read("orders.csv");
    let micros: Vec<i64> = secs(&orders, "order_date")
        .iter()
        .map(|s| s * 1_000_000)
        .collect();
    let when = Series::new("order_date".into(), micros)
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .unwrap();
    orders.with_column(when).unwrap();
    let price = orders
        .column("unit_price")
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .cast(&DataType::Decimal(Some(10), Some(2)))
        .unwrap();
    orders.with_column(price).unwrap();
    let cat = orders
        .column("category")
        .unwrap()
        .cast(&DataType::Categorical(None, Default::default()))
        .unwrap();
    orders.with_column(cat).unwrap();
    let mut customers = read("customers.csv");
    let days: Vec<i32> = secs(&customers, "signup_date")
        .iter()
        .map(|s| (s / 86_400) as i32)
        .collect();
    let signup = Series::new("signup_date".into(), days)
        .cast(&DataType::Date)
        .unwrap();
    customers.with_column(signup).unwrap();

    let pq = data.parent().unwrap().join("pq");
    std::fs::create_dir_all(&pq).unwrap();
    for (name, df) in [
        ("orders.parquet", &mut orders),
        ("customers.parquet", &mut customers),
    ] {
        let mut f = std::fs::File::create(pq.join(name)).unwrap();
        ParquetWriter::new(&mut f).finish(df).unwrap();
    }
    let csv_out = data.parent().unwrap().join("csv_out");
    segment(&data, &csv_out, &["--k", "2"]).assert().success();
    segment(&pq, &out, &["--k", "2"]).assert().success();
    let features = |p: &std::path::Path| {
        ParquetReader::new(std::fs::File::open(p.join("features.parquet")).unwrap())
            .finish()
            .unwrap()
    };
    let (a, b) = (features(&csv_out), features(&out));
    for c in ["recency_days", "tenure_days", "monetary"] {
        assert!(
            a.column(c).unwrap().equals(b.column(c).unwrap()),
            "{c} differs between CSV and Parquet"
        );
    }
}
