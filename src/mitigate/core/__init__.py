"""What every stage shares: params (config), errors, file I/O, output paths, seeds and device,
threads and CPU kernels, the stage entry point, resumable checkpoints, dvclive logs, figures."""
