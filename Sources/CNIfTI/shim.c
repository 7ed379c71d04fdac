// Intentionally empty: CNIfTI only exposes libnifti's headers to Swift.
