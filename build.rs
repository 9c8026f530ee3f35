//! Build script: embeds the provider catalogue, the default templates and the
//! `devgen init` scaffold.
//!
//! The catalogue CSVs in `data/catalogue/` become a compact binary blob
//! (`$OUT_DIR/catalogue.bin`) that `src/catalogue/embedded.rs` includes with
//! `include_bytes!`. The layout is documented in `src/catalogue/codec.rs`,
//! which this script shares with the crate.
//!
//! The CSVs are validated here, so a malformed snapshot fails the build with
//! `file:line` rather than surprising a user at run time.

#[allow(dead_code)]
#[path = "src/catalogue/codec.rs"]
mod codec;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use codec::{BlobWriter, PROVIDER_NAMES, REGION_HEADER, ROW_HEADER};

fn main() {
    // The crate (not this script) derives serde on codec's attach tables.
    println!("cargo:rustc-check-cfg=cfg(devgen_crate)");
    println!("cargo:rustc-cfg=devgen_crate");
    build_catalogue();
    embed_templates();
    embed_scaffold();
}

fn build_catalogue() {
    let data = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
        .join("data/catalogue");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/catalogue/codec.rs");
    println!("cargo:rerun-if-changed={}", data.display());
    let blob = match build_blob(&data) {
        Ok(blob) => blob,
        Err(e) => {
            eprintln!("error: provider catalogue: {e}");
            std::process::exit(1);
        }
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("catalogue.bin");
    std::fs::write(&out, blob).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

/// Reads a CSV file with the `csv` crate: every record (header included)
/// with the 1-based line it starts on. Blank lines are skipped; records may
/// differ in length (the per-table parsers report a wrong field count at its
/// line). Errors name `file:line`.
fn read(path: &Path) -> Result<Vec<codec::CsvRecord>, String> {
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_slice());
    let mut records: Vec<(usize, usize, Vec<String>)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, &e))?;
        let (line, byte) = record
            .position()
            .map_or((0, 0), |p| (p.line() as usize, p.byte() as usize));
        records.push((line, byte, record.iter().map(str::to_string).collect()));
    }
    // Each record's raw text runs to the next record's start.
    for (i, (line, byte, _)) in records.iter().enumerate() {
        let end = records.get(i + 1).map_or(text.len(), |r| r.1);
        check_quotes(&text[*byte..end]).map_err(|e| format!("{}:{line}: {e}", path.display()))?;
    }
    Ok(records
        .into_iter()
        .map(|(line, _, fields)| (line, fields))
        .collect())
}

/// Checks the quoting of one raw record. The `csv` crate reads a stray
/// quote (`a"b`) or text after a closing quote (`"a"b`) leniently as data;
/// RFC 4180 makes both malformed, and a catalogue with them must not build.
fn check_quotes(raw: &[u8]) -> Result<(), &'static str> {
    let mut in_quotes = false;
    let mut field_start = true;
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        i += 1;
        if in_quotes {
            if c == b'"' {
                if raw.get(i) == Some(&b'"') {
                    i += 1;
                    continue;
                }
                in_quotes = false;
                if !matches!(raw.get(i), None | Some(b',' | b'\r' | b'\n')) {
                    return Err("text after a closing quote");
                }
            }
            continue;
        }
        match c {
            b'"' if field_start => in_quotes = true,
            b'"' => return Err("stray quote inside an unquoted field"),
            b',' | b'\n' => {
                field_start = true;
                continue;
            }
            _ => {}
        }
        field_start = false;
    }
    if in_quotes {
        return Err("unterminated quoted field");
    }
    Ok(())
}

/// `file:line: message` for a `csv` crate error.
fn csv_error(path: &Path, e: &csv::Error) -> String {
    match e.position() {
        Some(p) => format!("{}:{}: {e}", path.display(), p.line()),
        None => format!("{}: {e}", path.display()),
    }
}

/// Reads a CSV table whose header must be `header`, parsing each record with
/// `parse`; errors name `file:line`.
fn read_table<T>(
    path: &Path,
    header: &[&str],
    parse: fn(&[String]) -> Result<T, String>,
) -> Result<Vec<(usize, T)>, String> {
    let records = read(path)?;
    let at = |line: usize| format!("{}:{line}", path.display());
    let (first, rest) = records
        .split_first()
        .ok_or_else(|| format!("{}: empty file", path.display()))?;
    codec::check_header(&first.1, header).map_err(|e| format!("{}: {e}", at(first.0)))?;
    rest.iter()
        .map(|(line, fields)| {
            parse(fields)
                .map(|v| (*line, v))
                .map_err(|e| format!("{}: {e}", at(*line)))
        })
        .collect()
}

/// A region as written to the blob.
struct RegionEntry {
    display_name: Option<String>,
    zones: String,
}

fn build_blob(data: &Path) -> Result<Vec<u8>, String> {
    // Regions: (provider index, code) → entry, from regions.csv first.
    let mut regions: BTreeMap<(u8, String), RegionEntry> = BTreeMap::new();
    let path = data.join("regions.csv");
    let at = |line: usize| format!("{}:{line}", path.display());
    for (line, r) in read_table(&path, &REGION_HEADER, codec::parse_region)? {
        let p = provider_index(&r.provider).map_err(|e| format!("{}: {e}", at(line)))?;
        let entry = RegionEntry {
            display_name: r.display_name,
            zones: r.zones.join(";"),
        };
        if regions.insert((p, r.region.clone()), entry).is_some() {
            return Err(format!("{}: duplicate region {}", at(line), r.region));
        }
    }

    // Instance rows, grouped per instance type.
    let mut instances: Vec<(u8, Vec<codec::CsvRow>)> = Vec::new();
    for (p, provider) in PROVIDER_NAMES.iter().enumerate() {
        let p = p as u8;
        let path = data.join(format!("{provider}.csv"));
        let at = |line: usize| format!("{}:{line}", path.display());
        let mut previous: Option<(String, String)> = None;
        for (line, row) in read_table(&path, &ROW_HEADER, codec::parse_row)? {
            check_row(provider, &row).map_err(|e| format!("{}: {e}", at(line)))?;
            let key = (row.instance_type.clone(), row.region.clone());
            if let Some(prev) = &previous
                && *prev >= key
            {
                return Err(format!(
                    "{}: rows must be sorted by (instance_type, region) without duplicates; \
                     {}/{} comes after {}/{}",
                    at(line),
                    key.0,
                    key.1,
                    prev.0,
                    prev.1
                ));
            }
            previous = Some(key);
            if let std::collections::btree_map::Entry::Vacant(slot) =
                regions.entry((p, row.region.clone()))
            {
                println!(
                    "cargo:warning=catalogue: {}: region {} is not in regions.csv",
                    at(line),
                    row.region
                );
                slot.insert(RegionEntry {
                    display_name: None,
                    zones: String::new(),
                });
            }
            match instances.last_mut() {
                Some((lp, rows)) if *lp == p && rows[0].instance_type == row.instance_type => {
                    let f = &rows[0];
                    if (&f.family, f.vcpus, &f.gpu_model)
                        != (&row.family, row.vcpus, &row.gpu_model)
                        || f.memory_gib.map(f64::to_bits) != row.memory_gib.map(f64::to_bits)
                        || f.gpu_count.map(f64::to_bits) != row.gpu_count.map(f64::to_bits)
                        || f.gpu_memory_gib.map(f64::to_bits)
                            != row.gpu_memory_gib.map(f64::to_bits)
                    {
                        return Err(format!(
                            "{}: {} has other specs than on its first row",
                            at(line),
                            row.instance_type
                        ));
                    }
                    rows.push(row);
                }
                _ => instances.push((p, vec![row])),
            }
        }
    }

    let (prices, limits) = read_attach(data, &regions)?;
    let kinds = codec::attach_kinds(&prices, &limits);
    let gcp = provider_index("gcp")?;

    let mut w = BlobWriter::default();
    let mut region_index: BTreeMap<(u8, String), u16> = BTreeMap::new();
    for ((p, code), entry) in &regions {
        let i = w.region(*p, code, entry.display_name.as_deref(), &entry.zones);
        region_index.insert((*p, code.clone()), i);
    }
    for (p, rows) in &instances {
        let f = &rows[0];
        w.instance(
            *p,
            &f.instance_type,
            &f.family,
            f.vcpus,
            f.memory_gib,
            f.gpu_model.as_deref(),
            f.gpu_count,
            f.gpu_memory_gib,
            None,
            u32::try_from(rows.len()).expect("too many offers"),
        );
        let offer_regions: Vec<u16> = rows
            .iter()
            .map(|row| region_index[&(*p, row.region.clone())])
            .collect();
        for (row, region) in rows.iter().zip(&offer_regions) {
            let price = micros(row.price_hourly_usd)?;
            let spot = row.spot_price_hourly_usd.map(micros).transpose()?;
            w.offer(*region, price, spot);
        }
        if *p == gcp && f.gpu_model.is_none() && codec::is_attach_host_family(&f.family) {
            let host: Vec<(&str, f64, Option<f64>)> = rows
                .iter()
                .map(|r| {
                    (
                        r.region.as_str(),
                        r.price_hourly_usd,
                        r.spot_price_hourly_usd,
                    )
                })
                .collect();
            let variants =
                codec::attach_variants(&kinds, &prices, &limits, f.vcpus, f.memory_gib, &host);
            for (kind, offers) in variants {
                w.instance(
                    *p,
                    &f.instance_type,
                    &f.family,
                    f.vcpus,
                    f.memory_gib,
                    Some(kind.gpu_model),
                    Some(f64::from(kind.count)),
                    kind.gpu_memory_gib,
                    Some((kind.accelerator_type, kind.count)),
                    u32::try_from(offers.len()).expect("too many offers"),
                );
                for (at, price, spot) in offers {
                    let spot = spot.map(micros).transpose()?;
                    w.offer(offer_regions[at], micros(price)?, spot);
                }
            }
        }
    }
    Ok(w.finish())
}

/// Reads and validates the attached-GPU tables (`gcp-accelerators.csv`,
/// `gcp-n1-limits.csv`; the crate also embeds them as text, for zone
/// look-ups and `catalogue update`): every row parses, regions are GCP
/// regions of `regions.csv`, zones lie in their region, prices fit the
/// micro-dollar encoding, and every priced accelerator type has limits.
fn read_attach(
    data: &Path,
    regions: &BTreeMap<(u8, String), RegionEntry>,
) -> Result<(Vec<codec::AttachPrice>, Vec<codec::AttachLimit>), String> {
    let gcp = provider_index("gcp")?;
    let path = data.join("gcp-accelerators.csv");
    let prices = read_table(&path, &codec::ATTACH_HEADER, codec::parse_attach)?;
    let lpath = data.join("gcp-n1-limits.csv");
    let limits: Vec<codec::AttachLimit> =
        read_table(&lpath, &codec::LIMIT_HEADER, codec::parse_limit)?
            .into_iter()
            .map(|(_, l)| l)
            .collect();
    for (line, p) in &prices {
        let at = format!("{}:{line}", path.display());
        if !regions.contains_key(&(gcp, p.region.clone())) {
            return Err(format!(
                "{at}: region {} is not a gcp region of regions.csv",
                p.region
            ));
        }
        if !p.zone.starts_with(&format!("{}-", p.region)) {
            return Err(format!(
                "{at}: zone {} is not in region {}",
                p.zone, p.region
            ));
        }
        micros(p.price_hourly_usd).map_err(|e| format!("{at}: {e}"))?;
        if let Some(s) = p.spot_price_hourly_usd {
            micros(s).map_err(|e| format!("{at}: {e}"))?;
        }
        if !limits
            .iter()
            .any(|l| l.accelerator_type == p.accelerator_type)
        {
            return Err(format!(
                "{at}: {} has no row in gcp-n1-limits.csv",
                p.accelerator_type
            ));
        }
    }
    Ok((prices.into_iter().map(|(_, p)| p).collect(), limits))
}

fn provider_index(name: &str) -> Result<u8, String> {
    PROVIDER_NAMES
        .iter()
        .position(|p| *p == name)
        .map(|i| i as u8)
        .ok_or_else(|| format!("unknown provider {name:?}"))
}

fn micros(price: f64) -> Result<u32, String> {
    codec::to_micros(price).ok_or_else(|| {
        format!("price {price} has more than 6 decimals or is too large for the blob's micro-dollar encoding")
    })
}

fn check_row(provider: &str, row: &codec::CsvRow) -> Result<(), String> {
    if row.provider != provider {
        return Err(format!(
            "provider {:?} in the {provider} file",
            row.provider
        ));
    }
    match &row.gpu_model {
        Some(model) => {
            let normalised = model
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !normalised || model.starts_with('-') || model.ends_with('-') {
                return Err(format!("gpu_model {model:?} is not a normalised name"));
            }
        }
        None if row.gpu_count.is_some() || row.gpu_memory_gib.is_some() => {
            return Err("gpu_count or gpu_memory_gib without a gpu_model".to_string());
        }
        None => {}
    }
    if row.gpu_count == Some(0.0) {
        return Err("gpu_count is 0 (leave it empty when unknown)".to_string());
    }
    Ok(())
}

/// Writes `$OUT_DIR/embedded_templates.rs`: a `&[(name, text)]` of every file
/// under `templates/` (names use `/`), so the binary carries its defaults.
/// `templates/custom/` is left out: custom targets belong to a project and are
/// read from its own `templates/custom/` at run time.
fn embed_templates() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("templates");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_templates.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if dir == root && e.file_name() == "custom" {
                continue;
            }
            println!("cargo:rerun-if-changed={}", p.display());
            collect(root, &p, out);
        } else {
            let name = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, p));
        }
    }
}

/// Writes `$OUT_DIR/embedded_scaffold.rs`: the files `devgen init` writes —
/// the example project's config, the hand-written parts of deploy/ (files that
/// do not carry devgen's "Generated by devgen" header), custom templates, and
/// everything under `scaffold/` (Makefile, .gitignore, … placed at the root).
fn embed_scaffold() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    // The hand-written parts a new project needs, taken from this
    // repository's own files at build time (their changes flow in); never
    // the example's config, its Compose file (init writes one for the new
    // project's services) or Terraform tests written against its tfvars.
    for dir in ["deploy/terraform", "deploy/helm", "templates/custom"] {
        let root = manifest.join(dir);
        println!("cargo:rerun-if-changed={}", root.display());
        let mut found = Vec::new();
        collect(&root, &root, &mut found);
        for (name, path) in found {
            let rel = format!("{dir}/{name}");
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let generated = text
                .lines()
                .take(6)
                .any(|l| l.contains("Generated by devgen"));
            let private = rel == "config/secrets.yaml"
                || name.contains("/tests/")
                || name.starts_with("tests/")
                || name.ends_with(".tfvars.sample")
                || name.contains("/.terraform")
                || name.starts_with(".terraform");
            if !generated && !private && !name.ends_with(".tfstate") && !name.ends_with(".lock.hcl")
            {
                println!("cargo:rerun-if-changed={}", path.display());
                files.push((rel, path));
            }
        }
    }
    // The repository's Compose file: generic, it includes the generated
    // services file (its GPU file names the example's service: init writes
    // one for the new project's GPU services).
    let path = manifest.join("deploy/compose/docker-compose.yml");
    println!("cargo:rerun-if-changed={}", path.display());
    if path.is_file() {
        files.push(("repo-compose/docker-compose.yml".to_string(), path));
    }
    let sc = manifest.join("scaffold");
    println!("cargo:rerun-if-changed={}", sc.display());
    let mut found = Vec::new();
    collect(&sc, &sc, &mut found);
    for (name, path) in found {
        println!("cargo:rerun-if-changed={}", path.display());
        files.push((name, path));
    }
    files.sort();
    let mut out = String::from("&[\n");
    for (name, path) in &files {
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_scaffold.rs");
    std::fs::write(dest, out).unwrap();
}
