"""Training one classifier: the Method interface and registry, the epoch loop, what a train@ stage
does, its settings, losses and batch transforms."""
