import DockerEngine

/// The `docker stats` formulas for Linux engines, as in docker/cli
/// `cli/command/container/stats_helpers.go` (the Windows branch does not apply here).
public enum StatsMath {
    /// CPU % = Δcontainer / Δsystem × online CPUs × 100, where online CPUs falls back to the
    /// length of `percpu_usage` when the engine does not report `online_cpus` (or reports 0).
    /// 0 when either delta is not positive (first sample, counter reset).
    public static func cpuPercent(previous: ContainerStatsResponse.CPUStats, current: ContainerStatsResponse.CPUStats) -> Double {
        let cpuDelta = Double(current.cpuUsage.totalUsage) - Double(previous.cpuUsage.totalUsage)
        let systemDelta = Double(current.systemCpuUsage ?? 0) - Double(previous.systemCpuUsage ?? 0)
        var onlineCPUs = Double(current.onlineCpus ?? 0)
        if onlineCPUs == 0 {
            onlineCPUs = Double(current.cpuUsage.percpuUsage?.count ?? 0)
        }
        guard systemDelta > 0, cpuDelta > 0 else { return 0 }
        return cpuDelta / systemDelta * onlineCPUs * 100
    }

    /// Memory used without the reclaimable page cache:
    /// cgroup v1 (the stats carry `total_inactive_file`): usage − total_inactive_file, if smaller than usage;
    /// otherwise cgroup v2: usage − inactive_file, if smaller than usage (a missing key counts as 0);
    /// otherwise usage.
    ///
    /// This is also cAdvisor's `container_memory_working_set_bytes`.
    public static func memoryUsedNoCache(_ memory: ContainerStatsResponse.MemoryStats) -> UInt64 {
        if let inactive = memory.stats["total_inactive_file"], inactive < memory.usage {
            return memory.usage - inactive
        }
        let inactive = memory.stats["inactive_file"] ?? 0
        if inactive < memory.usage {
            return memory.usage - inactive
        }
        return memory.usage
    }

    /// used / limit × 100; 0 when the limit is 0 (a container that is not running).
    public static func memoryPercent(used: UInt64, limit: UInt64) -> Double {
        guard limit != 0 else { return 0 }
        return Double(used) / Double(limit) * 100
    }

    /// Received and transmitted bytes summed over all interfaces.
    public static func network(_ networks: [String: ContainerStatsResponse.NetworkStats]?) -> (rx: UInt64, tx: UInt64) {
        var rx: UInt64 = 0
        var tx: UInt64 = 0
        for (_, interface) in networks ?? [:] {
            rx &+= interface.rxBytes
            tx &+= interface.txBytes
        }
        return (rx, tx)
    }

    /// Bytes read and written, summed from `io_service_bytes_recursive` by the first letter of
    /// the op, case-insensitively (`Read`/`read`, `Write`/`write`); other ops (`Sync`, `Async`,
    /// `Total`, `Discard`) are not counted.
    public static func blockIO(_ blkio: ContainerStatsResponse.BlkioStats) -> (read: UInt64, write: UInt64) {
        var read: UInt64 = 0
        var write: UInt64 = 0
        for entry in blkio.ioServiceBytesRecursive {
            switch entry.op.first {
            case "r", "R": read &+= entry.value
            case "w", "W": write &+= entry.value
            default: continue
            }
        }
        return (read, write)
    }
}
