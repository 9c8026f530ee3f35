//! Snapshots of the `catalogue list / select / status` renderings over the
//! embedded data, plus the small number formatters.

use devgen::catalogue::{
    Catalogue, Filter, ListFormat, OutputFormat, Provider, Request, format_count, format_list,
    format_monthly_usd, format_selection, format_status,
};

use Provider::{Aws, Azure, Gcp, Lambdalabs};

fn list(filter: Filter, format: ListFormat) -> String {
    format_list(&Catalogue::embedded().list(&filter), format)
}

fn select(req: Request, format: OutputFormat) -> String {
    let s = Catalogue::embedded()
        .select(&req)
        .unwrap_or_else(|e| panic!("{e}"));
    format_selection(&s, format)
}

fn filter(providers: &[Provider], gpu: &str, regions: &[&str]) -> Filter {
    Filter {
        providers: providers.to_vec(),
        gpu_model: Some(gpu.to_string()),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        ..Filter::default()
    }
}

#[test]
fn list_table() {
    insta::assert_snapshot!(
        "list_table_lambdalabs_h100_us_east_1",
        list(
            filter(&[Lambdalabs], "H100", &["us-east-1"]),
            ListFormat::Table
        )
    );
    // Fractional counts as 1/k, unknown counts and memory as `-`.
    insta::assert_snapshot!(
        "list_table_azure_a10_eastus",
        list(filter(&[Azure], "a10", &["eastus"]), ListFormat::Table)
    );
    // Spot prices, and the 4-decimal rounding of 6-decimal prices.
    insta::assert_snapshot!(
        "list_table_gcp_l4_us_central1",
        list(filter(&[Gcp], "l4", &["us-central1"]), ListFormat::Table)
    );
    assert_eq!(
        list(filter(&[Gcp], "a10g", &[]), ListFormat::Table),
        "no matching instance types\n"
    );
}

#[test]
fn list_json_and_csv() {
    let mut f = filter(&[Aws], "l4", &["us-east-1"]);
    f.min_gpus = Some(0.5);
    f.min_vcpus = Some(16);
    f.min_memory_gib = Some(64.0);
    insta::assert_snapshot!("list_json_aws_l4", list(f.clone(), ListFormat::Json));
    insta::assert_snapshot!("list_csv_aws_l4", list(f, ListFormat::Csv));
    // Empty cells stay empty in CSV; the header is always there.
    insta::assert_snapshot!(
        "list_csv_azure_rtx_pro_6000_eastus",
        list(
            filter(&[Azure], "rtx pro 6000", &["eastus"]),
            ListFormat::Csv
        )
    );
    assert_eq!(
        list(filter(&[Gcp], "a10g", &[]), ListFormat::Csv),
        "provider,instance_type,family,vcpus,memory_gib,gpu_model,gpu_count,gpu_memory_gib,region,price_hourly_usd,spot_price_hourly_usd\n"
    );
    assert_eq!(list(filter(&[Gcp], "a10g", &[]), ListFormat::Json), "[]\n");
}

#[test]
fn selection_text_and_json() {
    insta::assert_snapshot!(
        "select_text_8_h100",
        select(Request::gpu("h100", 8.0), OutputFormat::Text)
    );
    insta::assert_snapshot!(
        "select_json_8_h100",
        select(Request::gpu("h100", 8.0), OutputFormat::Json)
    );
    let mut aws = Request::gpu("h100", 8.0);
    aws.providers = vec![Aws];
    aws.regions = vec!["us-east-1".into()];
    insta::assert_snapshot!(
        "select_text_8_h100_aws_us_east_1",
        select(aws, OutputFormat::Text)
    );
    let mut a10g = Request::gpu("A10G", 1.0);
    a10g.providers = vec![Aws];
    a10g.min_vcpus = Some(8);
    a10g.min_memory_gib = Some(32.0);
    insta::assert_snapshot!(
        "select_text_a10g_aws_8_vcpus",
        select(a10g.clone(), OutputFormat::Text)
    );
    insta::assert_snapshot!(
        "select_json_a10g_aws_8_vcpus",
        select(a10g, OutputFormat::Json)
    );
    let mut slice = Request::gpu("l4", 0.5);
    slice.providers = vec![Aws, Gcp];
    insta::assert_snapshot!("select_text_half_l4", select(slice, OutputFormat::Text));
    let cpu = Request {
        min_vcpus: Some(4),
        min_memory_gib: Some(16.0),
        providers: vec![Gcp],
        regions: vec!["europe-west4".into()],
        ..Request::default()
    };
    insta::assert_snapshot!("select_text_cpu_gcp", select(cpu, OutputFormat::Text));
}

#[test]
fn status_text_and_json() {
    let status = Catalogue::embedded().status();
    insta::assert_snapshot!("status_text", format_status(&status, OutputFormat::Text));
    insta::assert_snapshot!("status_json", format_status(&status, OutputFormat::Json));
}

#[test]
fn number_formats() {
    let counts: Vec<String> = [8.0, 1.0, 0.5, 0.3333, 0.1667, 0.125, 0.25, 1.5]
        .into_iter()
        .map(format_count)
        .collect();
    assert_eq!(counts, ["8", "1", "1/2", "1/3", "1/6", "1/8", "1/4", "1.5"]);
    assert_eq!(format_monthly_usd(40179.2), "$40,179");
    assert_eq!(format_monthly_usd(1_234_567.5), "$1,234,568");
    assert_eq!(format_monthly_usd(100.0), "$100");
    assert_eq!(format_monthly_usd(6.7262), "$6.73");
    assert_eq!("CSV".parse::<ListFormat>(), Ok(ListFormat::Csv));
    assert_eq!("json".parse::<OutputFormat>(), Ok(OutputFormat::Json));
    assert_eq!(
        "yaml".parse::<OutputFormat>().unwrap_err().to_string(),
        r#"unknown format "yaml" (expected one of: text, json)"#
    );
}
