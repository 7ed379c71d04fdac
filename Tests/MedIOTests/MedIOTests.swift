// Tests for the MedIO layer live in this target.
