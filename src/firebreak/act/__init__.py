"""Acting on what the scan found: cases, decisions, takedowns and NCMEC CyberTipline reports."""
