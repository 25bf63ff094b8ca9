"""The lab: simulated platforms, scripted reviewers and demos (the product never imports it)."""
