//! The machine a result was measured on: CPU, topology, kernel,
//! virtualisation, frequency governor, build, the kernel IPC limits in
//! force and the load, so a figure can be judged (and refused) later.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything about the machine and the build that a figure depends on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Environment {
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Logical CPUs this process may run on.
    pub cpus: Vec<usize>,
    /// One line per CPU: core, package, L3 and SMT siblings.
    pub topology: Vec<String>,
    /// `uname -sr`.
    pub kernel: String,
    /// Hypervisor (`kvm`, ...) or `none`.
    pub virtualisation: String,
    /// `scaling_governor` of the CPUs, where visible.
    pub governor: Option<String>,
    /// Clock source (`tsc`, `kvm-clock`, ...).
    pub clocksource: Option<String>,
    /// The CPU flags `constant_tsc` and `nonstop_tsc` are both present.
    pub invariant_tsc: bool,
    /// `rustc --version` of the compiler that built the measuring code.
    pub rustc: String,
    /// `debug` or `release` (the cargo profile family).
    pub profile: String,
    /// `opt-level` the measuring code was compiled with.
    pub opt_level: String,
    /// Whether debug assertions were compiled in.
    pub debug_assertions: bool,
    /// `git rev-parse HEAD` of the checkout, with `-dirty` when modified.
    pub git_commit: Option<String>,
    /// Kernel IPC limits: sysctl name -> value.
    pub ipc_limits: BTreeMap<String, String>,
    /// `/proc/loadavg` 1, 5, 15 minutes, before the run.
    pub load_before: Option<[f64; 3]>,
    /// The same after the run.
    pub load_after: Option<[f64; 3]>,
    /// Share of CPU time stolen by the hypervisor during the run (0..1).
    pub steal_fraction: Option<f64>,
    /// Machine host name.
    pub hostname: String,
}
