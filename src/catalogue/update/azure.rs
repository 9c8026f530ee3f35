//! Azure: the unauthenticated Retail Prices API.
//!
//! One listing per region, filtered server-side with
//! `serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and
//! armRegionName eq '<region>'`, following `NextPageLink` to the end. Every
//! item is checked again client-side, because the same `armSkuName` has
//! several meters per region: only `type == "Consumption"`,
//! `unitOfMeasure == "1 Hour"` meters whose product is not Windows count;
//! the on-demand price is the meter without `Spot` / `Low Priority` in its
//! SKU or meter name, the spot price the meter whose `skuName` ends in
//! ` Spot`. Reservation, DevTest and Low Priority meters are ignored.
//!
//! The API has no vCPU, memory or GPU data, so sizes keep the embedded
//! catalogue's specs; sizes the embedded catalogue does not know are
//! **skipped** (counted in the summary), since a row needs a vCPU count.
//!
//! A server that ignores the region filter (a mirror serving the whole
//! listing) is detected on the first region, whose answer then serves every
//! region.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::http::FetchError;
use super::progress::Task;
use super::{Ctx, Endpoint, Fetched, collect_all, default_regions, par_map};
use crate::catalogue::{Provider, Region, Row};

/// The public prices endpoint.
pub const DEFAULT_URL: &str = "https://prices.azure.com/api/retail/prices";

/// Most pages followed for one listing.
const MAX_PAGES: usize = 20_000;

/// One page of the listing.
#[derive(Debug, Deserialize)]
struct Page {
    #[serde(rename = "Items")]
    items: Option<Vec<Item>>,
    #[serde(rename = "NextPageLink", default)]
    next_page_link: Option<String>,
}

/// One price item (only the fields used; all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// Price in the billing currency, per unit of measure.
    #[serde(default)]
    pub retail_price: Option<f64>,
    /// Same as `retail_price` for retail customers.
    #[serde(default)]
    pub unit_price: Option<f64>,
    /// `USD`.
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Region code.
    #[serde(default)]
    pub arm_region_name: Option<String>,
    /// Region display name.
    #[serde(default)]
    pub location: Option<String>,
    /// Size name, `Standard_ND96isr_H100_v5`.
    #[serde(default)]
    pub arm_sku_name: Option<String>,
    /// `ND96isr H100 v5`, `… Spot`, `… Low Priority`.
    #[serde(default)]
    pub sku_name: Option<String>,
    /// Meter name.
    #[serde(default)]
    pub meter_name: Option<String>,
    /// `Virtual Machines … Series` (`… Windows` for Windows).
    #[serde(default)]
    pub product_name: Option<String>,
    /// `Virtual Machines`.
    #[serde(default)]
    pub service_name: Option<String>,
    /// `1 Hour`.
    #[serde(default)]
    pub unit_of_measure: Option<String>,
    /// `Consumption`, `Reservation`, `DevTestConsumption`.
    #[serde(default, rename = "type")]
    pub price_type: Option<String>,
    /// Whether this is the primary meter region.
    #[serde(default)]
    pub is_primary_meter_region: Option<bool>,
    /// ISO date the price applies from.
    #[serde(default)]
    pub effective_start_date: Option<String>,
}

/// Which price an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Linux pay-as-you-go.
    OnDemand,
    /// Linux spot.
    Spot,
}

/// A usable item: (size, region, variant, price).
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// `armSkuName`.
    pub sku: String,
    /// `armRegionName`, lowercase.
    pub region: String,
    /// On-demand or spot.
    pub variant: Variant,
    /// USD per hour.
    pub price: f64,
    /// Primary meter region (preferred on duplicates).
    pub primary: bool,
    /// Effective start date (the latest is preferred on duplicates).
    pub effective: String,
}

/// Classifies an item (see the module docs); `None` for everything that is
/// not a Linux on-demand or spot hourly price.
pub fn classify(item: &Item) -> Option<Price> {
    let eq = |v: &Option<String>, want: &str| {
        v.as_deref()
            .is_some_and(|x| x.trim().eq_ignore_ascii_case(want))
    };
    if !eq(&item.price_type, "Consumption") || !eq(&item.unit_of_measure, "1 Hour") {
        return None;
    }
    if item.service_name.is_some() && !eq(&item.service_name, "Virtual Machines") {
        return None;
    }
    if item.currency_code.is_some() && !eq(&item.currency_code, "USD") {
        return None;
    }
    let product = item.product_name.as_deref().unwrap_or("");
    if product.to_ascii_lowercase().contains("windows") {
        return None;
    }
    let sku_name = item.sku_name.as_deref().unwrap_or("");
    let meter = item.meter_name.as_deref().unwrap_or("");
    let low = |s: &str| s.to_ascii_lowercase().contains("low priority");
    if low(sku_name) || low(meter) {
        return None;
    }
    let variant = if sku_name.trim_end().ends_with(" Spot") {
        Variant::Spot
    } else if sku_name.contains("Spot") || meter.contains("Spot") {
        return None;
    } else {
        Variant::OnDemand
    };
    let sku = item
        .arm_sku_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    let region = item
        .arm_region_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())?;
    let price = item
        .retail_price
        .or(item.unit_price)
        .filter(|p| p.is_finite() && *p > 0.0)?;
    Some(Price {
        sku: sku.to_string(),
        region: region.to_ascii_lowercase(),
        variant,
        price,
        primary: item.is_primary_meter_region.unwrap_or(true),
        effective: item.effective_start_date.clone().unwrap_or_default(),
    })
}

/// The listing URL of one region.
fn region_url(endpoint: &Endpoint, region: &str) -> String {
    let filter = format!(
        "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armRegionName eq '{region}'"
    );
    let sep = if endpoint.url.contains('?') { '&' } else { '?' };
    format!(
        "{}{sep}$filter={}",
        endpoint.url,
        super::http::encode_component(&filter)
    )
}

/// Follows a listing from `url` to its last page.
fn listing(
    ctx: &Ctx,
    endpoint: &Endpoint,
    url: String,
    task: &Task,
) -> Result<(Vec<Item>, usize), FetchError> {
    let mut items = Vec::new();
    let mut seen = BTreeSet::new();
    let mut next = Some(url);
    let mut pages = 0;
    while let Some(url) = next.take() {
        if !seen.insert(url.clone()) {
            return Err(FetchError::content(
                &url,
                "NextPageLink points back to a page already read",
            ));
        }
        if pages >= MAX_PAGES {
            return Err(FetchError::content(
                &url,
                format!("more than {MAX_PAGES} pages"),
            ));
        }
        let page: Page = ctx.http.get_json(&url, &[], task)?;
        pages += 1;
        let Some(page_items) = page.items else {
            return Err(FetchError::content(
                &url,
                "not a Retail Prices page: no `Items` array",
            ));
        };
        items.extend(page_items);
        next = page
            .next_page_link
            .filter(|l| !l.trim().is_empty())
            .map(|l| endpoint.resolve(&l, true));
    }
    Ok((items, pages))
}

/// Fetches Linux on-demand and spot prices of the requested (or default)
/// regions.
pub fn fetch(ctx: &Ctx, endpoint: &Endpoint) -> Result<Fetched, FetchError> {
    let wanted: Vec<String> = match ctx.regions {
        Some(r) => r.to_vec(),
        None => default_regions(Provider::Azure, ctx.embedded, ctx.previous),
    };
    let wanted_set: BTreeSet<String> = wanted.iter().map(|r| r.to_ascii_lowercase()).collect();
    let Some((first, rest)) = wanted.split_first() else {
        return Ok(Fetched::default());
    };

    let run = |region: &String| -> Result<(Vec<Item>, usize), FetchError> {
        let task = ctx.progress.task(&format!("azure {region}"));
        let r = listing(ctx, endpoint, region_url(endpoint, region), &task);
        match &r {
            Ok((items, pages)) => task.finish(&format!(
                "{} in {}",
                super::plural(items.len(), "price item"),
                super::plural(*pages, "page")
            )),
            Err(_) => task.abandon(),
        }
        r
    };

    let mut notes = Vec::new();
    let (mut items, _) = run(first)?;
    let ignores_filter = items
        .iter()
        .filter_map(classify)
        .any(|p| !p.region.eq_ignore_ascii_case(first));
    if ignores_filter {
        notes.push(
            "the price server ignored the region filter; its one listing served every region"
                .to_string(),
        );
    } else {
        let more = collect_all(par_map(rest, ctx.jobs, run))?;
        for (i, _) in more {
            items.extend(i);
        }
    }

    // (size lowercase, region, variant) → best price.
    let mut best: HashMap<(String, String, Variant), Price> = HashMap::new();
    let mut display: HashMap<String, String> = HashMap::new();
    for item in &items {
        let Some(p) = classify(item) else { continue };
        if !wanted_set.contains(&p.region) {
            continue;
        }
        if let Some(loc) = &item.location {
            display
                .entry(p.region.clone())
                .or_insert_with(|| loc.clone());
        }
        let key = (p.sku.to_ascii_lowercase(), p.region.clone(), p.variant);
        let better = match best.get(&key) {
            None => true,
            Some(b) => (p.primary, &p.effective) > (b.primary, &b.effective),
        };
        if better {
            best.insert(key, p);
        }
    }

    let mut out = Fetched {
        notes,
        ..Fetched::default()
    };
    let mut unknown: BTreeSet<String> = BTreeSet::new();
    for ((sku, region, variant), p) in &best {
        if *variant != Variant::OnDemand {
            continue;
        }
        let Some(inst) = ctx.embedded.instance(Provider::Azure, &p.sku) else {
            unknown.insert(p.sku.clone());
            continue;
        };
        let spot = best
            .get(&(sku.clone(), region.clone(), Variant::Spot))
            .map(|s| s.price);
        out.rows.push(Row {
            provider: Provider::Azure,
            instance_type: inst.name.clone(),
            family: inst.family.clone(),
            vcpus: inst.vcpus,
            memory_gib: inst.memory_gib,
            gpu_model: inst.gpu_model.clone(),
            gpu_count: inst.gpu_count,
            gpu_memory_gib: inst.gpu_memory_gib,
            region: region.clone(),
            price_hourly_usd: p.price,
            spot_price_hourly_usd: spot,
            accelerator: None,
        });
    }
    out.fetched_regions = wanted.clone();
    for code in &wanted {
        if ctx.embedded.region(Provider::Azure, code).is_none()
            && let Some(name) = display.get(&code.to_ascii_lowercase())
        {
            out.regions.push(Region {
                provider: Provider::Azure,
                code: code.clone(),
                display_name: Some(name.clone()),
                zones: Vec::new(),
            });
        }
    }
    if !unknown.is_empty() {
        let sample: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
        out.notes.push(format!(
            "{} without specs in the embedded catalogue skipped (e.g. {})",
            super::plural(unknown.len(), "size"),
            sample.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(sku_name: &str, product: &str, ty: &str) -> Item {
        Item {
            retail_price: Some(1.0),
            arm_region_name: Some("eastus".into()),
            arm_sku_name: Some("Standard_D2s_v5".into()),
            sku_name: Some(sku_name.into()),
            meter_name: Some(sku_name.into()),
            product_name: Some(product.into()),
            service_name: Some("Virtual Machines".into()),
            unit_of_measure: Some("1 Hour".into()),
            price_type: Some(ty.into()),
            ..Item::default()
        }
    }

    #[test]
    fn classifies_meters() {
        let v = |i: &Item| classify(i).map(|p| p.variant);
        let linux = "Virtual Machines DSv5 Series";
        let windows = "Virtual Machines DSv5 Series Windows";
        assert_eq!(
            v(&item("D2s v5", linux, "Consumption")),
            Some(Variant::OnDemand)
        );
        assert_eq!(
            v(&item("D2s v5 Spot", linux, "Consumption")),
            Some(Variant::Spot)
        );
        assert_eq!(v(&item("D2s v5 Low Priority", linux, "Consumption")), None);
        assert_eq!(v(&item("D2s v5", windows, "Consumption")), None);
        assert_eq!(v(&item("D2s v5 Spot", windows, "Consumption")), None);
        assert_eq!(v(&item("D2s v5", linux, "Reservation")), None);
        assert_eq!(v(&item("D2s v5", linux, "DevTestConsumption")), None);
        let mut month = item("D2s v5", linux, "Consumption");
        month.unit_of_measure = Some("1/Month".into());
        assert_eq!(v(&month), None);
    }

    #[test]
    fn filter_url() {
        let e = Endpoint {
            url: "http://h/api/retail/prices".into(),
            overridden: true,
        };
        assert_eq!(
            region_url(&e, "eastus"),
            "http://h/api/retail/prices?$filter=serviceName%20eq%20%27Virtual%20Machines%27%20and%20priceType%20eq%20%27Consumption%27%20and%20armRegionName%20eq%20%27eastus%27"
        );
    }
}
