// Tests for the NN layer live in this target.
