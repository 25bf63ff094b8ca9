"""The lab: the synthetic platform, the evaluation against labels, the audit's oracle and the demo.

Everything here exists to measure the product; no product package imports it.
"""
