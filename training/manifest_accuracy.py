"""Writes the measured accuracy into a model manifest, from the report files finish.sh leaves.

    /usr/bin/python3 training/manifest_accuracy.py --manifest models/lightexnet-fer2013.json \
        --report training/runs/r64b/report

Reads node-{publictest,privatetest,test}.json (`lightexnet eval`, the Node side running the shipped graph
with the manifest's default views) and ckplus.json (ckplus_cv.py's result, or ckplus_select.py's nested
choice among recipes, whose nested mean is then the figure).
"""
from __future__ import annotations

import argparse
import json
import os

PAPER = {"fer2013": 0.6917, "ckplus": 0.9737}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--manifest", required=True)
    p.add_argument("--report", required=True)
    a = p.parse_args()
    read = lambda name: json.load(open(os.path.join(a.report, name)))  # noqa: E731
    with open(a.manifest) as f:
        m = json.load(f)
    views = m.get("views", {}).get("default", 1)
    acc = {}
    for split, key in (("publictest", "fer2013_publictest"), ("privatetest", "fer2013_privatetest"),
                       ("test", "fer2013_public_plus_private_7178")):
        r = read(f"node-{split}.json")
        if r.get("views", 1) != views:
            raise SystemExit(f"node-{split}.json used {r.get('views')} views, the manifest's default is {views}")
        acc[key] = r["accuracy"]
    ck = read("ckplus.json")
    acc["ckplus_10fold_mean"] = ck.get("nested_mean_accuracy", ck.get("mean_accuracy"))
    acc["ckplus_views"] = ck.get("views", 1)
    acc["views"] = views
    acc["measured_with"] = ("npx lightexnet eval --fer2013 ../shared/data/fer2013 --split publictest|privatetest|test; "
                            "training/ckplus_cv.py and ckplus_select.py (see models/MODEL_CARD.md)")
    acc["paper"] = PAPER
    m["accuracy"] = acc
    with open(a.manifest, "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    print(json.dumps(acc))


if __name__ == "__main__":
    main()
