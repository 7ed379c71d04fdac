// Tests for the CLI layer live in this target.
