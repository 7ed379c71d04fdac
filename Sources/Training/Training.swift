// Training: trainer loop, strategy hooks, augmentation, splits, checkpoints.
