//! The CSV reader behind `rows_from_csv` / `regions_from_csv` (and build.rs).

use devgen::catalogue::{Provider, Request, regions_from_csv, rows_from_csv};

const HEADER: &str = "provider,instance_type,family,vcpus,memory_gib,gpu_model,gpu_count,gpu_memory_gib,region,price_hourly_usd,spot_price_hourly_usd";

#[test]
fn reads_quotes_crlf_and_empty_cells() {
    let text = format!(
        "{HEADER}\r\ngcp,e2-micro,e2,0.25,1,,,,us-east1,0.0084,\r\n\"azure\",\"Standard_NV6ads_A10_v5\",NVads_A10_v5,6,,A10 ,0.1667,4,eastus,0.454,\n"
    );
    let rows = rows_from_csv(&text).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].provider, rows[0].vcpus), (Provider::Gcp, 1));
    assert_eq!(rows[0].gpu_model, None);
    assert_eq!(rows[1].instance_type, "Standard_NV6ads_A10_v5");
    assert_eq!(rows[1].memory_gib, None);
    assert_eq!(rows[1].gpu_model.as_deref(), Some("a10"));
    assert_eq!(rows[1].spot_price_hourly_usd, None);

    let regions = regions_from_csv(
        "provider,region,display_name,zones\naws,us-east-1,\"US East \"\"N. Virginia\"\", USA\",us-east-1a;us-east-1b\n",
    )
    .unwrap();
    assert_eq!(
        regions[0].display_name.as_deref(),
        Some("US East \"N. Virginia\", USA")
    );
    assert_eq!(regions[0].zones, ["us-east-1a", "us-east-1b"]);
}

#[test]
fn errors_name_the_line() {
    let err = |text: String| rows_from_csv(&text).unwrap_err();
    assert_eq!(
        err(format!(
            "{HEADER}\naws,m5.large,m5,2,8,,,,us-east-1,cheap,\n"
        )),
        r#"line 2: price_hourly_usd: "cheap" is not a number"#
    );
    assert_eq!(
        err(format!(
            "{HEADER}\n\naws,m5.large,m5,2,8,,,us-east-1,0.1,\n"
        )),
        "line 3: 10 fields, expected 11"
    );
    assert_eq!(
        err(format!("{HEADER}\naws,\"m5.large,m5,2\n")),
        "line 2: unterminated quoted field"
    );
    assert_eq!(
        err(format!("{HEADER}\ngce,m5.large,m5,2,8,,,,us-east-1,0.1,\n")),
        r#"line 2: unknown provider "gce" (expected one of: aws, azure, gcp, lambdalabs)"#
    );
    assert!(err("provider,instance\n".to_string()).starts_with("line 1: header is"));
    assert_eq!(err(String::new()), "empty CSV");
}

#[test]
fn requests_deserialise_with_defaults() {
    let req: Request =
        serde_json::from_str(r#"{"gpu_model": "h100", "providers": ["lambda"]}"#).unwrap();
    assert_eq!(req.gpu_count, 1.0);
    assert_eq!(req.providers, [Provider::Lambdalabs]);
}
