//! Decoding the catalogue blob that `build.rs` compiled from `data/catalogue/`
//! (layout in `codec.rs`).

use std::sync::OnceLock;

use super::codec::{
    HEADER_SIZE, INSTANCE_SIZE, MAGIC, MICROS_PER_USD, NONE_U32, OFFER_SIZE, REGION_SIZE,
};
use super::{Accelerator, Catalogue, InstanceType, OfferRec, Provider, Region};

/// The blob written by `build.rs`.
static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/catalogue.bin"));

static EMBEDDED: OnceLock<Catalogue> = OnceLock::new();

/// Status source of the embedded snapshot.
pub(super) const SOURCE: &str = "embedded";

/// Data date of each provider's snapshot, in `Provider::ALL` order, from
/// `data/catalogue/SOURCE.md`: AWS = Karpenter's price list (which all
/// us-east-1 GPU prices also match), Azure = Karpenter's Azure price list,
/// GCP = Cyclenerd's pricing.yml, Lambda Labs = the dated snapshot SkyPilot's
/// v9 prices equal ("Live Lambda rates pulled 2026-05-28").
pub(super) const DATA_DATES: [Option<&str>; 4] = [
    Some("2026-07-20"),
    Some("2026-06-18"),
    Some("2026-07-30"),
    Some("2026-05-28"),
];

pub(super) fn embedded() -> &'static Catalogue {
    EMBEDDED.get_or_init(decode_embedded)
}

pub(super) fn decode_embedded() -> Catalogue {
    // The blob is produced and validated by build.rs and decoded by a test;
    // failing here is a build defect, not a user error.
    decode(BLOB).unwrap_or_else(|e| panic!("embedded catalogue blob is corrupt: {e}"))
}

/// Only the region table of the embedded snapshot (cheap; no instances).
pub(super) fn embedded_regions() -> Vec<Region> {
    let blob =
        Blob::parse(BLOB).unwrap_or_else(|e| panic!("embedded catalogue blob is corrupt: {e}"));
    blob.regions()
        .unwrap_or_else(|e| panic!("embedded catalogue blob is corrupt: {e}"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn f64_at(b: &[u8], at: usize) -> f64 {
    f64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The sections of a blob, bounds-checked once.
struct Blob<'a> {
    strings: Vec<&'a str>,
    regions: &'a [u8],
    instances: &'a [u8],
    offers: &'a [u8],
}

impl<'a> Blob<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Blob<'a>, String> {
        if bytes.len() < HEADER_SIZE || &bytes[..8] != MAGIC {
            return Err("bad magic".to_string());
        }
        let n = |i: usize| u32_at(bytes, 8 + 4 * i) as usize;
        let (n_strings, n_bytes, n_regions, n_instances, n_offers) = (n(0), n(1), n(2), n(3), n(4));
        let offsets_at = HEADER_SIZE;
        let bytes_at = offsets_at + 4 * (n_strings + 1);
        let regions_at = bytes_at + n_bytes;
        let instances_at = regions_at + n_regions * REGION_SIZE;
        let offers_at = instances_at + n_instances * INSTANCE_SIZE;
        let end = offers_at + n_offers * OFFER_SIZE;
        if bytes.len() != end {
            return Err(format!("length {} but the header says {end}", bytes.len()));
        }
        // One UTF-8 check for the whole table (far cheaper than one per
        // string); slicing a `str` then checks the boundaries.
        let table = std::str::from_utf8(&bytes[bytes_at..regions_at])
            .map_err(|e| format!("string table: {e}"))?;
        let mut strings = Vec::with_capacity(n_strings);
        let mut start = u32_at(bytes, offsets_at) as usize;
        for i in 1..=n_strings {
            let stop = u32_at(bytes, offsets_at + 4 * i) as usize;
            let s = table.get(start..stop).ok_or_else(|| {
                format!("string {i} out of bounds or not on a character boundary")
            })?;
            strings.push(s);
            start = stop;
        }
        Ok(Blob {
            strings,
            regions: &bytes[regions_at..instances_at],
            instances: &bytes[instances_at..offers_at],
            offers: &bytes[offers_at..end],
        })
    }

    fn string(&self, index: u32) -> Result<&'a str, String> {
        self.strings
            .get(index as usize)
            .copied()
            .ok_or_else(|| format!("string index {index} out of bounds"))
    }

    fn opt_string(&self, index: u32) -> Result<Option<&'a str>, String> {
        if index == NONE_U32 {
            Ok(None)
        } else {
            self.string(index).map(Some)
        }
    }

    fn provider(byte: u8) -> Result<Provider, String> {
        Provider::from_index(byte as usize).ok_or_else(|| format!("bad provider {byte}"))
    }

    fn regions(&self) -> Result<Vec<Region>, String> {
        self.regions
            .chunks_exact(REGION_SIZE)
            .map(|r| {
                let zones = self.string(u32_at(r, 12))?;
                Ok(Region {
                    provider: Self::provider(r[0])?,
                    code: self.string(u32_at(r, 4))?.to_string(),
                    display_name: self.opt_string(u32_at(r, 8))?.map(str::to_string),
                    zones: zones
                        .split(';')
                        .filter(|z| !z.is_empty())
                        .map(str::to_string)
                        .collect(),
                })
            })
            .collect()
    }
}

fn opt_f64(value: f64) -> Option<f64> {
    (!value.is_nan()).then_some(value)
}

fn decode(bytes: &[u8]) -> Result<Catalogue, String> {
    let blob = Blob::parse(bytes)?;
    let regions = blob.regions()?;
    let n_instances = blob.instances.len() / INSTANCE_SIZE;
    let mut instances = Vec::with_capacity(n_instances);
    let mut offer_start = Vec::with_capacity(n_instances + 1);
    offer_start.push(0u32);
    let mut total = 0u32;
    for r in blob.instances.chunks_exact(INSTANCE_SIZE) {
        instances.push(InstanceType {
            provider: Blob::provider(r[0])?,
            name: blob.string(u32_at(r, 4))?.to_string(),
            family: blob.string(u32_at(r, 8))?.to_string(),
            vcpus: u32_at(r, 12),
            memory_gib: opt_f64(f64_at(r, 16)),
            gpu_model: blob.opt_string(u32_at(r, 24))?.map(str::to_string),
            gpu_count: opt_f64(f64_at(r, 32)),
            gpu_memory_gib: opt_f64(f64_at(r, 40)),
            accelerator: blob.opt_string(u32_at(r, 48))?.map(|t| Accelerator {
                accelerator_type: t.to_string(),
                count: u32_at(r, 52),
            }),
        });
        total = total
            .checked_add(u32_at(r, 28))
            .ok_or("offer count overflow")?;
        offer_start.push(total);
    }
    let n_offers = blob.offers.len() / OFFER_SIZE;
    if total as usize != n_offers {
        return Err(format!(
            "instances claim {total} offers, blob has {n_offers}"
        ));
    }
    let price = |micros: u32| f64::from(micros) / MICROS_PER_USD;
    let mut offers = Vec::with_capacity(n_offers);
    for o in blob.offers.chunks_exact(OFFER_SIZE) {
        let region = u32::from(u16_at(o, 0));
        if region as usize >= regions.len() {
            return Err(format!("region index {region} out of bounds"));
        }
        let spot = u32_at(o, 6);
        offers.push(OfferRec {
            region,
            price: price(u32_at(o, 2)),
            spot: if spot == NONE_U32 {
                f64::NAN
            } else {
                price(spot)
            },
        });
    }
    Ok(Catalogue::assemble(
        instances,
        offer_start,
        offers,
        regions,
        SOURCE,
        DATA_DATES.map(|d| d.map(str::to_string)),
    )
    // The attached-GPU combinations are in the blob already (build.rs);
    // the table, parsed when first needed, serves zone look-ups and
    // `catalogue update`.
    .with_embedded_attach_table())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attached-GPU combinations come from `build.rs`, not from an
    /// expansion at decode time: the raw instance records carry them, right
    /// after their N1 host.
    #[test]
    fn the_blob_carries_the_attached_combinations() {
        let blob = Blob::parse(BLOB).unwrap();
        let records: Vec<&[u8]> = blob.instances.chunks_exact(INSTANCE_SIZE).collect();
        let attached: Vec<usize> = (0..records.len())
            .filter(|&i| u32_at(records[i], 48) != NONE_U32)
            .collect();
        assert!(attached.len() > 100, "{} combinations", attached.len());
        for i in attached {
            let name = |r: &[u8]| blob.string(u32_at(r, 4)).unwrap();
            let host = (0..i)
                .rev()
                .find(|&j| u32_at(records[j], 48) == NONE_U32)
                .unwrap();
            assert_eq!(name(records[host]), name(records[i]));
            assert!(
                blob.string(u32_at(records[host], 8))
                    .unwrap()
                    .starts_with("n1-")
            );
            assert!(u32_at(records[i], 52) >= 1);
        }
    }
}
