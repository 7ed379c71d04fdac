// NN: modules, layers, U-Nets, losses, optimizers.
