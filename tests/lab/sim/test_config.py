"""Presets and their scaling."""

from __future__ import annotations

import json

from firebreak.lab.sim import SimConfig, preset


def test_presets_scale_networks_and_confounders_with_size():
    small, default, large = preset("default", accounts=5_000), preset("default"), preset("large")
    assert large.accounts == 1_000_000 and default.accounts == 20_000
    assert small.networks <= default.networks < large.networks
    assert large.sellers_per_network[1] > default.sellers_per_network[1]
    assert large.buyers_per_network[1] > default.buyers_per_network[1]
    assert large.confounders["teen"] > default.confounders["teen"] > small.confounders["teen"]
    assert large.mean_follows * large.accounts >= 45_000_000  # ~50M follows


def test_hard_preset_hides_more():
    d, h = preset("default"), preset("hard")
    hidden = lambda c: c.seller_mix["silent"] + c.seller_mix["recreated"]
    assert hidden(h) > hidden(d)
    assert all(h.confounders[k] > d.confounders[k] for k in d.confounders)
    assert h.buyer_benign_follows > d.buyer_benign_follows and h.benign_follows_seller > d.benign_follows_seller
    assert h.intra_community < d.intra_community


def test_config_is_json_and_replaceable():
    cfg = SimConfig(seed=3).replace(networks=2)
    assert cfg.networks == 2 and cfg.seed == 3
    assert json.loads(json.dumps(cfg.to_dict()))["sellers_per_network"] == list(cfg.sellers_per_network)
