// Umbrella header for libnifti (libnifti-dev). nifti2_io reads and writes NIfTI-1 and NIfTI-2.
#include "/usr/include/nifti/nifti2_io.h"
// zlib: MedIO checks and inflates .nii.gz itself before handing a file to libnifti.
#include <zlib.h>
