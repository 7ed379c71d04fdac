// Umbrella header for libnifti (libnifti-dev). nifti2_io reads and writes NIfTI-1 and NIfTI-2.
#include "/usr/include/nifti/nifti2_io.h"
