#!/usr/bin/env python3
"""Rebuild data/catalogue/ from the seed catalogue and its additions.

    python3 scripts/catalogue_merge.py SEED_DIR [OUT_DIR]

SEED_DIR is the shared seed folder (aws.csv, azure.csv, gcp.csv, lambdalabs.csv,
regions.csv, SOURCE.md and additions/). OUT_DIR defaults to data/catalogue.
The output is deterministic (rows sorted by (instance_type, region), LF line
ends), so the embedded snapshot is reproducible from the CSVs:

- lambdalabs.csv  = additions/lambdalabs-v9-all.csv (supersedes the v7 rows);
- aws.csv         = aws.csv + additions/aws-extra.csv (c7i/c7g outside us-east-1);
- azure.csv       = azure.csv with spot prices from additions/azure-spot.csv,
                    only where its on-demand price equals azure.csv's (the four
                    rows whose on-demand price changed keep no spot price);
- gcp.csv         = gcp.csv + additions/gcp-extra.csv (a3-ultragpu priced;
                    a4/a4x without a price: listed, never selected);
- gcp-accelerators.csv, gcp-n1-limits.csv: copied (GPUs attached to N1);
- regions.csv: copied, plus aws ap-southeast-4 (Melbourne), which aws-extra uses.
"""
import csv
import shutil
import sys
from pathlib import Path

HEADER = ["provider", "instance_type", "family", "vcpus", "memory_gib", "gpu_model",
          "gpu_count", "gpu_memory_gib", "region", "price_hourly_usd", "spot_price_hourly_usd"]


def read(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        assert r.fieldnames == HEADER, f"{path}: header {r.fieldnames}"
        return list(r)


def write(path, rows):
    rows = sorted(rows, key=lambda r: (r["instance_type"].encode(), r["region"].encode()))
    keys = [(r["instance_type"], r["region"]) for r in rows]
    assert len(keys) == len(set(keys)), f"{path}: duplicate (instance_type, region)"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def add(base, extra):
    have = {(r["instance_type"], r["region"]) for r in base}
    return base + [r for r in extra if (r["instance_type"], r["region"]) not in have]


def main():
    seed = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("data/catalogue")
    adds = seed / "additions"
    write(out / "lambdalabs.csv", read(adds / "lambdalabs-v9-all.csv"))
    write(out / "aws.csv", add(read(seed / "aws.csv"), read(adds / "aws-extra.csv")))
    azure = read(seed / "azure.csv")
    spot = {(r["instance_type"], r["region"]): r for r in read(adds / "azure-spot.csv")}
    for r in azure:
        s = spot.get((r["instance_type"], r["region"]))
        if s and s["price_hourly_usd"] == r["price_hourly_usd"] and not r["spot_price_hourly_usd"]:
            r["spot_price_hourly_usd"] = s["spot_price_hourly_usd"]
    write(out / "azure.csv", azure)
    write(out / "gcp.csv", add(read(seed / "gcp.csv"), read(adds / "gcp-extra.csv")))
    for name in ["gcp-accelerators.csv", "gcp-n1-limits.csv"]:
        shutil.copyfile(adds / name, out / name)
    # regions.csv, plus the one region aws-extra.csv adds (standard public name).
    with open(seed / "regions.csv", newline="") as f:
        regions = list(csv.reader(f))
    have = {(r[0], r[1]) for r in regions[1:]}
    for extra in [["aws", "ap-southeast-4", "Asia Pacific (Melbourne)", ""]]:
        if tuple(extra[:2]) not in have:
            regions.append(extra)
    body = sorted(regions[1:], key=lambda r: (r[0].encode(), r[1].encode()))
    with open(out / "regions.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([regions[0]] + body)


if __name__ == "__main__":
    main()
