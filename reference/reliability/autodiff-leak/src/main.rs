//! Does a tensor that required a gradient, dropped without a backward, stay in Burn's autodiff
//! graph registry until some later backward sweeps it? `keep`: yes, resident memory grows with
//! every round; `sweep`: a one-element backward after each round keeps it flat.
use burn::tensor::{Device, Tensor};

fn rss_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("a VmRSS line")
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let ad = Device::flex().autodiff();
    let rounds = 20_000;
    for round in 0..=rounds {
        // What building a model does to each of its parameters.
        let params: Vec<Tensor<1>> = (0..15)
            .map(|_| Tensor::<1>::zeros([8], &ad).require_grad())
            .collect();
        drop(params);
        if mode == "sweep" {
            // Any backward sweeps the graphs whose tensors are all gone.
            let x = Tensor::<1>::zeros([1], &ad).require_grad();
            let _ = x.sum().backward();
        }
        if round % 5_000 == 0 {
            println!("{mode} round {round}: {} KB", rss_kb());
        }
    }
}
