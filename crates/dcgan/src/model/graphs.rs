//! Freeing what Burn's autodiff keeps of models that were dropped without training.
//!
//! A parameter that requires a gradient registers a node in Burn's autodiff graph registry (a
//! process-wide map in `burn-autodiff`'s `runtime/graph.rs`). Burn removes the nodes whose
//! tensors are gone only when some `backward` runs: its sweep of orphaned graphs is private and
//! called nowhere else. Training runs a backward every step, so its memory stays flat; a process
//! that builds models on the autodiff device and drops them untrained (a checkpoint that fails
//! to load, an import, a fuzzer feeding thousands of files to one process) keeps about 1.2 KB per
//! parameter tensor, 8.5 KB per model, until it exits. [`sweep_dropped`] runs the smallest
//! backward there is, so that sweep frees them.

use burn::tensor::{Device, Tensor};

/// Frees the autodiff graph nodes of every tensor that is gone (a dropped model's parameters),
/// on any device: the registry is one for the process, and the one-element backward this runs
/// on the CPU sweeps all of it. Nodes of tensors still alive are left alone. Cheap: one tiny
/// tensor and a walk of the registry.
pub fn sweep_dropped() {
    let device = Device::flex().autodiff();
    let one = Tensor::<1>::zeros([1], &device).require_grad();
    let _ = one.sum().backward();
}
