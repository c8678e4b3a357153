//! The machine a result was measured on: CPU, topology, kernel,
//! virtualisation, frequency governor, build, the kernel IPC limits in
//! force and the load, so a figure can be judged (and refused) later.
//!
//! Everything is read from `/proc` and `/sys` (nothing needs privileges) and
//! from what `build.rs` recorded about the compiler; what cannot be read is
//! left `None`, empty or `unknown`, never an error.

use std::collections::BTreeMap;
use std::fs;

use serde::{Deserialize, Serialize};

use crate::sysctl::Sysctl;
use crate::topology::Topology;

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
    /// Hypervisor (`kvm`, `xen`, `unknown hypervisor`, with the DMI vendor and
    /// product where readable: `kvm (QEMU Standard PC)`) or `none`.
    pub virtualisation: String,
    /// The distinct `scaling_governor`s of the CPUs, joined by `,`; `None`
    /// where cpufreq is not visible (as in most VMs).
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
    /// `git rev-parse HEAD` of the checkout the binary was built from, with
    /// `-dirty` when a source it was built from differed from it; `None`
    /// when built outside a checkout. [`Environment::capture`] leaves it
    /// `None`: the program that embeds the measuring code records it from
    /// its own build (the harness does, in `harness/build.rs`).
    pub git_commit: Option<String>,
    /// Kernel IPC limits ([`IPC_SYSCTLS`] the kernel has): sysctl name -> value.
    pub ipc_limits: BTreeMap<String, String>,
    /// `/proc/loadavg` 1, 5, 15 minutes, before the run.
    pub load_before: Option<[f64; 3]>,
    /// Share of all CPUs' time spent busy (not idle, not waiting for I/O)
    /// over [`BUSY_SAMPLE`] just before the run (0..1): what else is running
    /// now, unlike the load average, which still counts a build that just
    /// finished. `None` in files from before it was recorded.
    #[serde(default)]
    pub busy_before: Option<f64>,
    /// The same after the run.
    pub load_after: Option<[f64; 3]>,
    /// Share of CPU time stolen by the hypervisor during the run (0..1).
    pub steal_fraction: Option<f64>,
    /// Machine host name.
    pub hostname: String,
}

/// The sysctls recorded in [`Environment::ipc_limits`]: the kernel limits
/// that bound the transports (message queues, pipes, socket buffers).
pub const IPC_SYSCTLS: [&str; 13] = [
    "fs.mqueue.msg_max",
    "fs.mqueue.msgsize_max",
    "fs.mqueue.queues_max",
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "fs.pipe-max-size",
    "fs.pipe-user-pages-soft",
    "net.core.wmem_max",
    "net.core.rmem_max",
    "net.core.wmem_default",
    "net.unix.max_dgram_qlen",
    "net.ipv4.tcp_wmem",
];

/// Share of CPU time busy before the run above which the machine counts as
/// busy: a quarter (half a CPU of two) taken by something else.
const BUSY_SHARE: f64 = 0.25;
/// How long [`Environment::capture`] watches the CPUs for [`Environment::busy_before`].
pub const BUSY_SAMPLE: std::time::Duration = std::time::Duration::from_millis(100);
/// Share of CPU time stolen by the hypervisor above which figures are noisy.
const NOISY_STEAL: f64 = 0.02;

impl Environment {
    /// Describe this machine and this build now. Never fails: what cannot be
    /// read is `unknown`, `None` or empty. `load_after` and `steal_fraction`
    /// stay `None` until [`Environment::record_end`].
    pub fn capture() -> Environment {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let flags = cpu_flags(&cpuinfo);
        let cpus = crate::pin::available_cores();
        Environment {
            cpu_model: cpuinfo_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".to_owned()),
            topology: Topology::detect().describe(),
            kernel: kernel(),
            virtualisation: virtualisation(&flags),
            governor: governor(&cpus),
            clocksource: read_trimmed("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
            invariant_tsc: flags.contains(&"constant_tsc") && flags.contains(&"nonstop_tsc"),
            rustc: env!("RINGSIDE_RUSTC_VERSION").to_owned(),
            profile: env!("RINGSIDE_PROFILE").to_owned(),
            opt_level: env!("RINGSIDE_OPT_LEVEL").to_owned(),
            debug_assertions: cfg!(debug_assertions),
            git_commit: None,
            ipc_limits: ipc_limits(),
            load_before: load_average(),
            busy_before: busy_share(BUSY_SAMPLE),
            load_after: None,
            steal_fraction: None,
            hostname: Sysctl::new("kernel.hostname").read_text().unwrap_or_else(|| "unknown".to_owned()),
            cpus,
        }
    }

    /// After the run: the load average now, and the share of CPU time the
    /// hypervisor stole since `start` (taken with [`CpuTimes::read`] when the
    /// run began).
    pub fn record_end(&mut self, start: Option<&CpuTimes>) {
        self.load_after = load_average();
        self.steal_fraction = start.zip(CpuTimes::read()).and_then(|(start, end)| end.steal_fraction_since(start));
    }

    /// Whether the measuring code was compiled with optimisation (any
    /// `opt-level` but `0`).
    pub fn is_optimised(&self) -> bool {
        self.opt_level != "0"
    }

    /// What makes these figures doubtful, one sentence each; empty when
    /// nothing does. A missing invariant TSC is recorded, not warned about:
    /// timing uses `CLOCK_MONOTONIC`.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.is_optimised() {
            warnings.push(format!(
                "measured with an unoptimised build (opt-level {}): figures are invalid",
                self.opt_level
            ));
        }
        if let Some(busy) = self.busy_before
            && busy > BUSY_SHARE
        {
            warnings.push(format!(
                "the machine was busy before the run: {:.0}% of {} CPU(s) in use over {} ms (above {:.0}%)",
                busy * 100.0,
                self.cpus.len().max(1),
                BUSY_SAMPLE.as_millis(),
                BUSY_SHARE * 100.0
            ));
        }
        if let Some(steal) = self.steal_fraction
            && steal > NOISY_STEAL
        {
            warnings.push(format!(
                "the hypervisor stole {:.1}% of CPU time during the run (above {:.0}%): figures are noisy",
                steal * 100.0,
                NOISY_STEAL * 100.0
            ));
        }
        if self.cpus.len() == 1 {
            warnings.push("one CPU: only same-core placements".to_owned());
        }
        warnings
    }
}

/// The share of all CPUs' time spent busy over the next `window` (this
/// thread sleeps through it); `None` when `/proc/stat` cannot be read or no
/// tick passed.
pub fn busy_share(window: std::time::Duration) -> Option<f64> {
    let before = CpuTimes::read()?;
    std::thread::sleep(window);
    CpuTimes::read()?.busy_share_since(&before)
}

/// `MemAvailable` of `/proc/meminfo`, bytes: what can be allocated now
/// without swapping; `None` where it cannot be read.
pub fn memory_available() -> Option<u64> {
    parse_memory_available(&fs::read_to_string("/proc/meminfo").ok()?)
}

fn parse_memory_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `/proc/loadavg`: the 1, 5 and 15 minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    parse_load_average(&fs::read_to_string("/proc/loadavg").ok()?)
}

fn parse_load_average(loadavg: &str) -> Option<[f64; 3]> {
    let mut fields = loadavg.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

/// The aggregate `cpu` line of `/proc/stat`: jiffies spent in each state by
/// all CPUs since boot (`guest` time is already inside `user` and is left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    /// Normal processes in user mode.
    pub user: u64,
    /// Niced processes in user mode.
    pub nice: u64,
    /// Kernel mode.
    pub system: u64,
    /// Idle.
    pub idle: u64,
    /// Waiting for I/O.
    pub iowait: u64,
    /// Servicing interrupts.
    pub irq: u64,
    /// Servicing softirqs.
    pub softirq: u64,
    /// Taken by the hypervisor for other guests while this one wanted to run.
    pub steal: u64,
}

impl CpuTimes {
    /// Read `/proc/stat` now; `None` when it cannot be read or parsed.
    pub fn read() -> Option<CpuTimes> {
        CpuTimes::parse(&fs::read_to_string("/proc/stat").ok()?)
    }

    /// The `cpu` line of a `/proc/stat` text (kernels before 2.6.11 have no
    /// `steal` column: it reads as 0).
    pub fn parse(stat: &str) -> Option<CpuTimes> {
        let line = stat.lines().find(|l| l.split_whitespace().next() == Some("cpu"))?;
        let values: Vec<u64> = line.split_whitespace().skip(1).map(|v| v.parse().ok()).collect::<Option<_>>()?;
        let at = |i: usize| values.get(i).copied();
        Some(CpuTimes {
            user: at(0)?,
            nice: at(1)?,
            system: at(2)?,
            idle: at(3)?,
            iowait: at(4).unwrap_or(0),
            irq: at(5).unwrap_or(0),
            softirq: at(6).unwrap_or(0),
            steal: at(7).unwrap_or(0),
        })
    }

    /// All jiffies counted.
    pub fn total(&self) -> u64 {
        [self.user, self.nice, self.system, self.idle, self.iowait, self.irq, self.softirq, self.steal].iter().sum()
    }

    /// Busy jiffies (neither idle nor waiting for I/O) over all jiffies
    /// between `earlier` and `self` (0..1); `None` when no time passed or
    /// the counters went backwards.
    pub fn busy_share_since(&self, earlier: &CpuTimes) -> Option<f64> {
        let total = self.total().checked_sub(earlier.total()).filter(|&t| t > 0)?;
        let resting = (self.idle + self.iowait).checked_sub(earlier.idle + earlier.iowait)?;
        Some(total.saturating_sub(resting) as f64 / total as f64)
    }

    /// Stolen jiffies over all jiffies between `earlier` and `self` (0..1);
    /// `None` when no time passed or the counters went backwards.
    pub fn steal_fraction_since(&self, earlier: &CpuTimes) -> Option<f64> {
        let total = self.total().checked_sub(earlier.total()).filter(|&t| t > 0)?;
        let steal = self.steal.checked_sub(earlier.steal)?;
        Some(steal as f64 / total as f64)
    }
}

/// The value of the first `field : value` line of `/proc/cpuinfo`.
fn cpuinfo_field(cpuinfo: &str, field: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == field).then(|| value.trim().to_owned())
    })
}

fn cpu_flags(cpuinfo: &str) -> Vec<&str> {
    cpuinfo
        .lines()
        .find_map(|line| line.split_once(':').filter(|(name, _)| name.trim() == "flags"))
        .map(|(_, flags)| flags.split_whitespace().collect())
        .unwrap_or_default()
}

/// `uname -sr`, from `/proc/sys/kernel` (the same strings `uname(2)` returns).
fn kernel() -> String {
    let name = Sysctl::new("kernel.ostype").read_text().unwrap_or_else(|| "Linux".to_owned());
    match Sysctl::new("kernel.osrelease").read_text() {
        Some(release) => format!("{name} {release}"),
        None => format!("{name} (release unknown)"),
    }
}

/// `none` without the `hypervisor` CPU flag; otherwise the hypervisor where
/// the kernel names it (Xen's `/sys/hypervisor/type`, KVM's `kvm-clock`),
/// with the DMI vendor and product where readable: `kvm (QEMU Standard PC)`.
fn virtualisation(flags: &[&str]) -> String {
    if !flags.contains(&"hypervisor") {
        return "none".to_owned();
    }
    let clocksources = read_trimmed("/sys/devices/system/clocksource/clocksource0/available_clocksource");
    let name = read_trimmed("/sys/hypervisor/type")
        .or_else(|| clocksources.filter(|c| c.split_whitespace().any(|c| c == "kvm-clock")).map(|_| "kvm".into()))
        .unwrap_or_else(|| "unknown hypervisor".to_owned());
    let dmi: Vec<String> = ["sys_vendor", "product_name"]
        .iter()
        .filter_map(|f| read_trimmed(&format!("/sys/class/dmi/id/{f}")))
        .filter(|v| !v.is_empty())
        .collect();
    if dmi.is_empty() { name } else { format!("{name} ({})", dmi.join(" ")) }
}

/// The distinct `scaling_governor`s of `cpus`, joined by `,`.
fn governor(cpus: &[usize]) -> Option<String> {
    let mut governors: Vec<String> = cpus
        .iter()
        .filter_map(|c| read_trimmed(&format!("/sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor")))
        .collect();
    governors.sort();
    governors.dedup();
    (!governors.is_empty()).then(|| governors.join(","))
}

/// [`IPC_SYSCTLS`] that `/proc/sys` has, whitespace folded to one space.
fn ipc_limits() -> BTreeMap<String, String> {
    IPC_SYSCTLS
        .iter()
        .filter_map(|name| {
            let value = Sysctl::new(name).read_text()?;
            Some((name.to_string(), value.split_whitespace().collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

fn read_trimmed(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_describes_this_machine_and_build() {
        let env = Environment::capture();
        assert!(!env.cpu_model.is_empty() && env.cpu_model != "unknown", "{}", env.cpu_model);
        assert!(env.kernel.starts_with("Linux "), "{}", env.kernel);
        assert!(env.rustc.starts_with("rustc "), "{}", env.rustc);
        // The workspace dev profile (used by `cargo test`) sets opt-level 3.
        assert_eq!(env.opt_level, "3");
        assert!(env.is_optimised());
        assert!(!env.profile.is_empty());
        assert_eq!(env.debug_assertions, cfg!(debug_assertions));
        assert!(!env.cpus.is_empty());
        assert_eq!(env.topology.len(), env.cpus.len());
        assert!(!env.virtualisation.is_empty());
        assert!(env.ipc_limits.contains_key("fs.pipe-max-size"), "{:?}", env.ipc_limits);
        assert!(env.load_before.is_some());
        assert!(env.busy_before.is_some_and(|b| (0.0..=1.0).contains(&b)), "{:?}", env.busy_before);
        assert!(!env.hostname.is_empty());
    }

    #[test]
    fn an_unoptimised_build_is_invalid() {
        let env = Environment { opt_level: "0".into(), cpus: vec![0, 1], ..Environment::default() };
        assert!(!env.is_optimised());
        let warnings = env.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("opt-level 0") && warnings[0].contains("invalid"), "{warnings:?}");
    }

    #[test]
    fn warnings_name_busy_cpus_steal_and_one_cpu() {
        // A high load average alone (a build that just ended) is no warning.
        let quiet = Environment {
            opt_level: "3".into(),
            cpus: vec![0, 1],
            load_before: Some([1.9, 0.0, 0.0]),
            busy_before: Some(0.25),
            steal_fraction: Some(0.02),
            ..Environment::default()
        };
        assert_eq!(quiet.warnings(), Vec::<String>::new());

        let noisy = Environment { cpus: vec![3], busy_before: Some(0.6), steal_fraction: Some(0.05), ..quiet };
        let warnings = noisy.warnings();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert_eq!(
            warnings[0], "the machine was busy before the run: 60% of 1 CPU(s) in use over 100 ms (above 25%)",
            "{warnings:?}"
        );
        assert!(warnings[1].contains("5.0%"), "{warnings:?}");
        assert_eq!(warnings[2], "one CPU: only same-core placements");
    }

    #[test]
    fn steal_fraction_is_stolen_over_all_jiffies() {
        let earlier = CpuTimes::parse("cpu  100 0 50 800 10 0 5 35 7 0\ncpu0 1 2 3 4\n").unwrap();
        assert_eq!(earlier.total(), 1000, "guest columns are not counted twice");
        let later = CpuTimes { user: 200, idle: 1050, steal: 85, ..earlier };
        // 400 jiffies passed, 50 of them stolen.
        assert_eq!(later.steal_fraction_since(&earlier), Some(0.125));
        assert_eq!(earlier.steal_fraction_since(&earlier), None, "no time passed");
        // 400 jiffies passed, 250 of them idle: 150 busy (user, stolen).
        assert_eq!(later.busy_share_since(&earlier), Some(0.375));
        assert_eq!(earlier.busy_share_since(&earlier), None, "no time passed");
        assert_eq!(earlier.steal_fraction_since(&later), None, "counters went backwards");

        let old_kernel = CpuTimes::parse("cpu 1 2 3 4\n").unwrap();
        assert_eq!((old_kernel.steal, old_kernel.total()), (0, 10));
        assert_eq!(CpuTimes::parse("cpu0 1 2 3 4\n"), None);
        assert_eq!(CpuTimes::parse("cpu 1 x 3 4\n"), None);
        assert!(CpuTimes::read().is_some());
    }

    #[test]
    fn cpuinfo_and_loadavg_parse() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu constant_tsc hypervisor\n";
        assert_eq!(cpuinfo_field(cpuinfo, "model name").as_deref(), Some("AMD EPYC"));
        assert_eq!(cpu_flags(cpuinfo), vec!["fpu", "constant_tsc", "hypervisor"]);
        assert_eq!(virtualisation(&["fpu"]), "none");
        assert_eq!(parse_load_average("0.43 0.56 0.26 2/86 5320\n"), Some([0.43, 0.56, 0.26]));
        assert_eq!(parse_load_average("0.43 0.56"), None);
        assert_eq!(parse_memory_available("MemTotal: 8 kB\nMemAvailable:    2048 kB\n"), Some(2 << 20));
        assert_eq!(parse_memory_available("MemTotal: 8 kB\n"), None);
        assert!(memory_available().is_some_and(|b| b > 0));
    }
}
