"""The graph stages of the scan, as plain functions over CSR arrays.

- :mod:`.ids`: account ids <-> dense integers (one Polars join).
- :mod:`.csr`: follow and weighted interaction CSR matrices (:func:`build_graph`).
- :mod:`.expand`: seed expansion, unique followers, seed overlaps (``firebreak map``).
- :mod:`.propagate`: personalised PageRank, degree-normalised, mass-conserving.
- :mod:`.roles`: seller / buyer scoring by alternating label propagation.
- :mod:`.reports`: child-safety reports, discounted for harassment groups.
- :mod:`.evasion`: ban evasion by MinHash + LSH over follower sets.
- :mod:`.communities`: Leiden networks on the abusive subgraph.
- :mod:`.signals`: detector evidence condensed into per-account units.
- :mod:`.picture`: PNG / HTML picture of a mapped network.
"""
