// Evaluation: segmentation metrics (Dice, IoU, HD95, ASSD, NSD, ...), per-case tables, statistics.
