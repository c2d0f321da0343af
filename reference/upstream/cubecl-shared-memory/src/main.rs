//! One matrix product on Burn's Vulkan device. On a Vulkan driver without
//! VK_KHR_workgroup_memory_explicit_layout (lavapipe, Mesa 22.3 and 25.0) CubeCL 0.11.3 compiles
//! the product's shared-memory kernel to invalid SPIR-V and the driver crashes compiling it:
//! this process dies with SIGSEGV inside `vkCreateComputePipelines`.
//!
//! On a machine with lavapipe (Debian: mesa-vulkan-drivers), from this folder:
//!
//!   XDG_RUNTIME_DIR=$(mktemp -d) CUBECL_WGPU_DEFAULT_DEVICE=Cpu cargo run
//!     -> Segmentation fault (exit 139), with cubecl-spirv 0.11.3 from crates.io
//!   ... cargo run --config 'patch.crates-io.cubecl-spirv.path="../../../patches/cubecl-spirv"'
//!     -> "ok: 64x256 by 256x64 gives 256 everywhere", with the project's fix
//!
//! (Both seen on 2026-12-06 with Mesa 22.3.6's lavapipe, LLVM 15.)

use burn::tensor::{Device, Tensor};

fn main() {
    let device = Device::vulkan(Default::default());
    let a = Tensor::<2>::ones([64, 256], &device);
    let b = Tensor::<2>::ones([256, 64], &device);
    let c: Vec<f32> = a.matmul(b).into_data().try_into_vec().unwrap();
    // Every entry is the sum of 256 products of ones.
    assert!(c.iter().all(|&x| x == 256.0), "wrong product");
    println!("ok: 64x256 by 256x64 gives 256 everywhere");
}
