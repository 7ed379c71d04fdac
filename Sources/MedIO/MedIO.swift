// MedIO: NIfTI, PNG, MSD datasets, geometry, phantoms.
