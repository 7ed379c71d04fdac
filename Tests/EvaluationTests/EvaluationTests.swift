// Tests for the Evaluation layer live in this target.
