//! Where two cores sit relative to each other, read from
//! `/sys/devices/system/cpu`: the named placements a scenario asks for
//! (`same-core`, `smt-sibling`, `cross-core`, `cross-ccx`, `cross-socket`)
//! and a pair of cores for each one this machine offers.
//!
//! Per logical CPU: `topology/core_id`, `topology/physical_package_id`,
//! `topology/thread_siblings_list` and the `shared_cpu_list` of the level-3
//! entry under `cache/index*/`. Two CPUs are SMT siblings when they report
//! one package and one core; they share a last-level cache when the L3 list
//! of one holds the other (without an L3, the package is the domain). What a
//! VM reports is its hypervisor's story, recorded as told: a guest may show
//! no SMT, or one L3 per vCPU, whatever the host really has.

use std::fs;
use std::io;
use std::path::Path;

pub use vocabulary::Placement;

/// A `cpulist` (`0-3,8,10-11`, as sysfs writes them) that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cpu list '{list}' is malformed at '{part}': expected comma-separated CPU numbers or ranges, like 0-3,8,10-11")]
pub struct CpuListError {
    /// The whole list as given.
    pub list: String,
    /// The comma-separated part that is not a number or an ascending range.
    pub part: String,
}

/// Parse a kernel `cpulist` (`0-3,8,10-11`) into ascending, distinct CPU
/// numbers. Surrounding whitespace is ignored; an empty list is empty.
pub fn parse_cpu_list(s: &str) -> Result<Vec<usize>, CpuListError> {
    let list = s.trim();
    let mut cpus = Vec::new();
    if list.is_empty() {
        return Ok(cpus);
    }
    for part in list.split(',') {
        let bad = || CpuListError { list: list.to_owned(), part: part.to_owned() };
        let number = |n: &str| n.trim().parse::<usize>().map_err(|_| bad());
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (number(first)?, number(last)?);
                if first > last {
                    return Err(bad());
                }
                cpus.extend(first..=last);
            }
            None => cpus.push(number(part)?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

/// Write CPU numbers as a `cpulist`, runs folded into ranges: `0-3,8`.
pub fn format_cpu_list(cpus: &[usize]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if i == j { sorted[i].to_string() } else { format!("{}-{}", sorted[i], sorted[j]) });
        i = j + 1;
    }
    parts.join(",")
}

/// Where one logical CPU sits, as sysfs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpu {
    /// Logical CPU number (`cpuN`).
    pub id: usize,
    /// `topology/core_id`: the physical core within its package.
    pub core_id: usize,
    /// `topology/physical_package_id`: the socket.
    pub package: usize,
    /// `topology/thread_siblings_list`: the logical CPUs on the same physical
    /// core, this one included (just `[id]` without SMT).
    pub smt_siblings: Vec<usize>,
    /// CPUs sharing this CPU's L3 (`cache/index*/shared_cpu_list` of the
    /// level-3 cache); `None` when no L3 is listed, and then the package is
    /// taken as the last-level cache domain.
    pub l3: Option<Vec<usize>>,
    /// What could not be read and was assumed instead, one phrase each.
    pub assumed: Vec<String>,
}

/// The logical CPUs this process may use and how they relate: cores,
/// packages, SMT siblings and shared L3 caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Ascending by `id`, one per CPU.
    cpus: Vec<Cpu>,
}

/// Two logical CPUs `(a, b)`, `a <= b`: where the producer and the consumer run.
pub type CpuPair = (usize, usize);

/// Where the kernel describes the CPUs.
const SYSFS_CPU: &str = "/sys/devices/system/cpu";

impl Topology {
    /// The CPUs this process may use ([`crate::pin::available_cores`]), read
    /// from `/sys/devices/system/cpu`. Never fails: what cannot be read is
    /// assumed (see [`Cpu::assumed`]).
    pub fn detect() -> Topology {
        let root = Path::new(SYSFS_CPU);
        let mut cpus = crate::pin::available_cores();
        if cpus.is_empty() {
            // No affinity mask: every online CPU, or CPU 0 alone.
            cpus = fs::read_to_string(root.join("online"))
                .ok()
                .and_then(|list| parse_cpu_list(&list).ok())
                .filter(|cpus| !cpus.is_empty())
                .unwrap_or_else(|| vec![0]);
        }
        Topology::read(root, &cpus)
    }

    /// The CPUs `cpus` as described under `root` (a directory laid out like
    /// `/sys/devices/system/cpu`; tests pass a fake one). Fails only when
    /// `root` itself cannot be read; missing or malformed files inside it are
    /// assumed (core id = CPU number, package 0, no SMT, the package as the
    /// last-level cache) and noted in [`Cpu::assumed`].
    pub fn from_sysfs(root: &Path, cpus: &[usize]) -> io::Result<Topology> {
        fs::read_dir(root)?;
        Ok(Topology::read(root, cpus))
    }

    fn read(root: &Path, ids: &[usize]) -> Topology {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut cpus: Vec<Cpu> = ids.iter().map(|&id| read_cpu(&root.join(format!("cpu{id}")), id)).collect();
        // Without thread_siblings_list, siblings are the CPUs reporting the same package and core.
        let keys: Vec<(usize, usize, usize)> = cpus.iter().map(|c| (c.id, c.package, c.core_id)).collect();
        for cpu in cpus.iter_mut().filter(|c| c.smt_siblings.is_empty()) {
            cpu.smt_siblings = keys.iter().filter(|k| (k.1, k.2) == (cpu.package, cpu.core_id)).map(|k| k.0).collect();
        }
        Topology { cpus }
    }

    /// Every CPU, ascending.
    pub fn cpus(&self) -> &[Cpu] {
        &self.cpus
    }

    /// The CPU numbered `id`, if this process may use it.
    pub fn cpu(&self, id: usize) -> Option<&Cpu> {
        self.cpus.binary_search_by_key(&id, |c| c.id).ok().map(|i| &self.cpus[i])
    }

    /// How CPUs `a` and `b` relate, nearest first: the same CPU, SMT siblings
    /// of one core, cores sharing an L3, cores of one package with different
    /// L3s, different packages. `None` if either is not in this topology.
    pub fn relation(&self, a: usize, b: usize) -> Option<Placement> {
        let (x, y) = (self.cpu(a)?, self.cpu(b)?);
        Some(if a == b {
            Placement::SameCore
        } else if x.package != y.package {
            Placement::CrossSocket
        } else if x.core_id == y.core_id || x.smt_siblings.contains(&b) {
            Placement::SmtSibling
        } else if share_llc(x, y) {
            Placement::CrossCore
        } else {
            Placement::CrossCcx
        })
    }

    /// A pair of CPUs `(a, b)`, `a <= b`, in placement `p`, or `None` if this
    /// machine has none. The choice is deterministic: pairs without CPU 0
    /// first (the kernel does its housekeeping there), then the highest
    /// numbers. For [`Placement::SameCore`] it is one CPU twice, `(c, c)`.
    pub fn pair(&self, p: Placement) -> Option<CpuPair> {
        let ids: Vec<usize> = self.cpus.iter().map(|c| c.id).collect();
        let candidates = ids.iter().flat_map(|&a| ids.iter().filter(move |&&b| b >= a).map(move |&b| (a, b)));
        candidates.filter(|&(a, b)| self.relation(a, b) == Some(p)).max_by_key(|&(a, b)| (a != 0, a, b))
    }

    /// Every placement of [`Placement::ALL`] with its pair, or one line saying
    /// why this machine has none.
    pub fn placements(&self) -> Vec<(Placement, Result<CpuPair, String>)> {
        Placement::ALL
            .into_iter()
            .map(|p| {
                let pair = self.pair(p).ok_or_else(|| {
                    let reason = match p {
                        _ if self.cpus.is_empty() => "no CPU available",
                        _ if self.cpus.len() == 1 => "only one CPU available",
                        Placement::SameCore => "no CPU available",
                        Placement::SmtSibling => "no two CPUs share a physical core (no SMT)",
                        Placement::CrossCore => "no two physical cores share an L3",
                        Placement::CrossCcx => "every core of a package shares one L3",
                        Placement::CrossSocket => "one package",
                    };
                    reason.to_owned()
                });
                (p, pair)
            })
            .collect()
    }

    /// One line per CPU: `cpu 1: core 1, package 0, L3 {0-1}, smt siblings {1}`,
    /// followed by whatever had to be assumed for it.
    pub fn describe(&self) -> Vec<String> {
        self.cpus
            .iter()
            .map(|c| {
                let l3 = match &c.l3 {
                    Some(cpus) => format!("L3 {{{}}}", format_cpu_list(cpus)),
                    None => "no L3 (package is the last-level cache)".to_owned(),
                };
                let mut line = format!(
                    "cpu {}: core {}, package {}, {l3}, smt siblings {{{}}}",
                    c.id,
                    c.core_id,
                    c.package,
                    format_cpu_list(&c.smt_siblings)
                );
                if !c.assumed.is_empty() {
                    line.push_str(&format!(" (assumed: {})", c.assumed.join("; ")));
                }
                line
            })
            .collect()
    }
}

/// Whether two CPUs share a last-level cache: the L3 when both list one,
/// otherwise the package.
fn share_llc(x: &Cpu, y: &Cpu) -> bool {
    match (&x.l3, &y.l3) {
        (Some(shared), Some(_)) => shared.contains(&y.id),
        _ => x.package == y.package,
    }
}

/// One CPU from its `cpuN` directory, assuming what is missing.
fn read_cpu(dir: &Path, id: usize) -> Cpu {
    let mut assumed = Vec::new();
    let topology = dir.join("topology");
    let mut number = |file: &str, fallback: usize, what: &str| match read_trimmed(&topology.join(file))
        .and_then(|s| s.parse::<usize>().ok())
    {
        Some(n) => n,
        None => {
            assumed.push(format!("{what} {fallback}, topology/{file} unreadable"));
            fallback
        }
    };
    let core_id = number("core_id", id, "core id");
    let package = number("physical_package_id", 0, "package");
    // Left empty here when unreadable; Topology::read derives it from the core ids.
    let smt_siblings = match read_trimmed(&topology.join("thread_siblings_list")).map(|s| parse_cpu_list(&s)) {
        Some(Ok(list)) if !list.is_empty() => list,
        _ => {
            assumed.push("smt siblings from core ids, topology/thread_siblings_list unreadable".to_owned());
            Vec::new()
        }
    };
    let l3 = read_l3(&dir.join("cache"));
    if l3.is_none() && fs::read_dir(dir.join("cache")).is_err() {
        assumed.push("the package as last-level cache, cache/ unreadable".to_owned());
    }
    Cpu { id, core_id, package, smt_siblings, l3, assumed }
}

/// `shared_cpu_list` of the first `index*` cache of level 3 under `cache`.
fn read_l3(cache: &Path) -> Option<Vec<usize>> {
    let mut indices: Vec<_> = fs::read_dir(cache)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("index")))
        .collect();
    indices.sort();
    indices.into_iter().find(|p| read_trimmed(&p.join("level")).as_deref() == Some("3")).and_then(|p| {
        read_trimmed(&p.join("shared_cpu_list")).and_then(|s| parse_cpu_list(&s).ok()).filter(|l| !l.is_empty())
    })
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Write a fake `cpuN` directory: core id, package, thread siblings and
    /// (when given) an L3 with its shared list, next to an L1 that must be ignored.
    fn fake_cpu(root: &Path, id: usize, core: usize, package: usize, siblings: &str, l3: Option<&str>) {
        let dir = root.join(format!("cpu{id}"));
        fs::create_dir_all(dir.join("topology")).unwrap();
        fs::write(dir.join("topology/core_id"), format!("{core}\n")).unwrap();
        fs::write(dir.join("topology/physical_package_id"), format!("{package}\n")).unwrap();
        fs::write(dir.join("topology/thread_siblings_list"), format!("{siblings}\n")).unwrap();
        fs::create_dir_all(dir.join("cache/index0")).unwrap();
        fs::write(dir.join("cache/index0/level"), "1\n").unwrap();
        fs::write(dir.join("cache/index0/shared_cpu_list"), format!("{id}\n")).unwrap();
        if let Some(l3) = l3 {
            fs::create_dir_all(dir.join("cache/index3")).unwrap();
            fs::write(dir.join("cache/index3/level"), "3\n").unwrap();
            fs::write(dir.join("cache/index3/shared_cpu_list"), format!("{l3}\n")).unwrap();
        }
    }

    /// Like this VM: two vCPUs, separate cores, one package, one L3.
    #[test]
    fn two_vcpus_without_smt_sharing_one_l3() {
        let root = tempfile::tempdir().unwrap();
        fake_cpu(root.path(), 0, 0, 0, "0", Some("0-1"));
        fake_cpu(root.path(), 1, 1, 0, "1", Some("0-1"));
        let t = Topology::from_sysfs(root.path(), &[0, 1]).unwrap();

        assert_eq!(t.relation(1, 1), Some(Placement::SameCore));
        assert_eq!(t.relation(0, 1), Some(Placement::CrossCore));
        assert_eq!(t.relation(1, 0), Some(Placement::CrossCore));
        assert_eq!(t.relation(0, 2), None);
        assert_eq!(
            t.placements(),
            vec![
                (Placement::SameCore, Ok((1, 1))),
                (Placement::SmtSibling, Err("no two CPUs share a physical core (no SMT)".to_owned())),
                (Placement::CrossCore, Ok((0, 1))),
                (Placement::CrossCcx, Err("every core of a package shares one L3".to_owned())),
                (Placement::CrossSocket, Err("one package".to_owned())),
            ]
        );
        assert_eq!(
            t.describe(),
            vec![
                "cpu 0: core 0, package 0, L3 {0-1}, smt siblings {0}",
                "cpu 1: core 1, package 0, L3 {0-1}, smt siblings {1}"
            ]
        );
    }

    /// Eight CPUs: four cores with SMT pairs (0,4) (1,5) (2,6) (3,7); cores
    /// 0-1 share one L3, cores 2-3 another (two CCXs in one package).
    #[test]
    fn smt_pairs_and_two_l3s_in_one_package() {
        let root = tempfile::tempdir().unwrap();
        for id in 0..8 {
            let core = id % 4;
            let l3 = if core < 2 { "0-1,4-5" } else { "2-3,6-7" };
            fake_cpu(root.path(), id, core, 0, &format!("{core},{}", core + 4), Some(l3));
        }
        let t = Topology::from_sysfs(root.path(), &(0..8).collect::<Vec<_>>()).unwrap();

        assert_eq!(t.relation(1, 5), Some(Placement::SmtSibling));
        assert_eq!(t.relation(0, 1), Some(Placement::CrossCore));
        assert_eq!(t.relation(4, 1), Some(Placement::CrossCore));
        assert_eq!(t.relation(1, 2), Some(Placement::CrossCcx));
        assert_eq!(t.relation(7, 0), Some(Placement::CrossCcx));
        assert_eq!(
            t.placements(),
            vec![
                (Placement::SameCore, Ok((7, 7))),
                (Placement::SmtSibling, Ok((3, 7))),
                (Placement::CrossCore, Ok((6, 7))),
                (Placement::CrossCcx, Ok((5, 7))),
                (Placement::CrossSocket, Err("one package".to_owned())),
            ]
        );
        for (p, pair) in t.placements() {
            if let Ok((a, b)) = pair {
                assert_eq!(t.relation(a, b), Some(p));
            }
        }
    }

    /// Two packages of two cores, no SMT, one L3 per package; the process
    /// may use only CPUs 0, 1 and 2.
    #[test]
    fn two_packages_and_a_narrowed_affinity_mask() {
        let root = tempfile::tempdir().unwrap();
        for id in 0..4 {
            let package = id / 2;
            let l3 = if package == 0 { "0-1" } else { "2-3" };
            fake_cpu(root.path(), id, id % 2, package, &id.to_string(), Some(l3));
        }
        let t = Topology::from_sysfs(root.path(), &[0, 1, 2]).unwrap();

        // Same core id, different packages: not SMT siblings.
        assert_eq!(t.relation(0, 2), Some(Placement::CrossSocket));
        assert_eq!(t.relation(1, 2), Some(Placement::CrossSocket));
        assert_eq!(t.relation(0, 1), Some(Placement::CrossCore));
        assert_eq!(t.relation(0, 3), None, "CPU 3 is outside the mask");
        assert_eq!(
            t.placements(),
            vec![
                (Placement::SameCore, Ok((2, 2))),
                (Placement::SmtSibling, Err("no two CPUs share a physical core (no SMT)".to_owned())),
                (Placement::CrossCore, Ok((0, 1))),
                (Placement::CrossCcx, Err("every core of a package shares one L3".to_owned())),
                (Placement::CrossSocket, Ok((1, 2))),
            ]
        );
    }

    #[test]
    fn one_cpu_offers_only_same_core() {
        let root = tempfile::tempdir().unwrap();
        fake_cpu(root.path(), 0, 0, 0, "0", Some("0"));
        let t = Topology::from_sysfs(root.path(), &[0]).unwrap();
        let placements = t.placements();
        assert_eq!(placements[0], (Placement::SameCore, Ok((0, 0))));
        for (_, pair) in &placements[1..] {
            assert_eq!(pair, &Err("only one CPU available".to_owned()));
        }
    }

    /// Missing files are assumed, never fatal: core id = CPU number, package
    /// 0, siblings from core ids, the package as last-level cache.
    #[test]
    fn missing_files_fall_back_and_are_noted() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("cpu0")).unwrap();
        fs::create_dir_all(root.path().join("cpu3/topology")).unwrap();
        fs::write(root.path().join("cpu3/topology/core_id"), "not a number\n").unwrap();
        let t = Topology::from_sysfs(root.path(), &[3, 0]).unwrap();

        let cpu3 = t.cpu(3).unwrap();
        assert_eq!((cpu3.core_id, cpu3.package, cpu3.smt_siblings.clone(), cpu3.l3.clone()), (3, 0, vec![3], None));
        assert_eq!(t.relation(0, 3), Some(Placement::CrossCore));
        let lines = t.describe();
        assert!(lines[1].starts_with("cpu 3: core 3, package 0, no L3 (package is the last-level cache), smt siblings {3} (assumed: core id 3, topology/core_id unreadable; package 0"), "{}", lines[1]);
        assert!(lines[1].contains("cache/ unreadable"), "{}", lines[1]);

        assert!(Topology::from_sysfs(&root.path().join("absent"), &[0]).is_err());
    }

    #[test]
    fn detect_describes_every_available_cpu() {
        let t = Topology::detect();
        let ids: Vec<usize> = t.cpus().iter().map(|c| c.id).collect();
        assert_eq!(ids, crate::pin::available_cores());
        assert_eq!(t.describe().len(), ids.len());
        let last = *ids.last().unwrap();
        assert_eq!(t.pair(Placement::SameCore), Some((last, last)));
    }

    #[test]
    fn cpu_lists_parse_and_print() {
        assert_eq!(parse_cpu_list("0-3,8,10-11\n"), Ok(vec![0, 1, 2, 3, 8, 10, 11]));
        assert_eq!(parse_cpu_list("5"), Ok(vec![5]));
        assert_eq!(parse_cpu_list(" \n"), Ok(vec![]));
        assert_eq!(parse_cpu_list("4,0-1,1"), Ok(vec![0, 1, 4]));
        for bad in ["3-1", "a", "1-", "0,,2", "0-1-2", "-3"] {
            let err = parse_cpu_list(bad).unwrap_err();
            assert_eq!(err.list, bad);
        }
        assert_eq!(
            parse_cpu_list("0,x").unwrap_err().to_string(),
            "cpu list '0,x' is malformed at 'x': expected comma-separated CPU numbers or ranges, like 0-3,8,10-11"
        );
        assert_eq!(format_cpu_list(&[11, 0, 1, 2, 3, 8, 10]), "0-3,8,10-11");
        assert_eq!(format_cpu_list(&[]), "");
    }
}
