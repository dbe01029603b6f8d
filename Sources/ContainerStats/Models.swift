import DockerEngine
import Foundation

/// A running container to sample, with what the output and the exporter label it by.
public struct StatsTarget: Sendable, Hashable, Codable {
    /// The full 64-hex container id.
    public var id: String
    /// The name without the engine's leading slash, e.g. `app-api-1`.
    public var name: String
    public var image: String
    public var labels: [String: String]

    public init(id: String, name: String, image: String, labels: [String: String] = [:]) {
        self.id = id
        self.name = name.hasPrefix("/") ? String(name.dropFirst()) : name
        self.image = image
        self.labels = labels
    }

    public var project: String? { labels[DockerEngine.ComposeLabels.project] }
    public var service: String? { labels[DockerEngine.ComposeLabels.service] }
    public var shortID: String { String(id.prefix(12)) }
}

/// One container's figures at one moment, computed with `docker stats`' formulas from two
/// consecutive raw samples, plus the raw counters the exporter publishes.
public struct ContainerStatsEntry: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var image: String
    public var project: String?
    public var service: String?
    /// docker stats' CPU %: 100 = one full core. 0 until two samples exist.
    public var cpuPercent: Double
    /// Memory used without inactive file cache (docker stats' "MEM USAGE", cAdvisor's working set).
    public var memoryUsedBytes: UInt64
    public var memoryLimitBytes: UInt64
    public var memoryPercent: Double
    public var networkRxBytes: UInt64
    public var networkTxBytes: UInt64
    public var blockReadBytes: UInt64
    public var blockWriteBytes: UInt64
    public var pids: UInt64

    // Raw counters (not shown by `stats`, published by the exporter).
    /// Cumulative CPU time, seconds.
    public var cpuUsageSecondsTotal: Double
    /// Usage including all page cache (cAdvisor's `container_memory_usage_bytes`).
    public var memoryUsageBytes: UInt64
    /// When the sample was read, RFC 3339 with fractional seconds (the engine's `read`).
    public var read: String
    /// `api` or `cgroup`.
    public var source: StatsSourceKind

    public init(
        id: String, name: String, image: String, project: String?, service: String?, cpuPercent: Double,
        memoryUsedBytes: UInt64, memoryLimitBytes: UInt64, memoryPercent: Double, networkRxBytes: UInt64,
        networkTxBytes: UInt64, blockReadBytes: UInt64, blockWriteBytes: UInt64, pids: UInt64,
        cpuUsageSecondsTotal: Double, memoryUsageBytes: UInt64, read: String, source: StatsSourceKind
    ) {
        self.id = id
        self.name = name
        self.image = image
        self.project = project
        self.service = service
        self.cpuPercent = cpuPercent
        self.memoryUsedBytes = memoryUsedBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.memoryPercent = memoryPercent
        self.networkRxBytes = networkRxBytes
        self.networkTxBytes = networkTxBytes
        self.blockReadBytes = blockReadBytes
        self.blockWriteBytes = blockWriteBytes
        self.pids = pids
        self.cpuUsageSecondsTotal = cpuUsageSecondsTotal
        self.memoryUsageBytes = memoryUsageBytes
        self.read = read
        self.source = source
    }

    /// Applies the formulas to a sample and the previous sample of the same container (`nil` for
    /// the first one, which gives CPU % 0 unless the payload carries its own `precpu_stats`).
    public init(target: StatsTarget, current: ContainerStatsResponse, previous: ContainerStatsResponse?, source: StatsSourceKind) {
        // Without a previous sample of ours, the payload's own precpu_stats is the previous one
        // (the engine's two-sample mode); a one-shot payload's is empty, and the formula would then
        // give CPU time since boot over system time since boot: show 0 instead, as for a first sample.
        let previousCPU = previous?.cpuStats ?? current.precpuStats
        let hasPrevious = (previousCPU.systemCpuUsage ?? 0) > 0
        let used = StatsMath.memoryUsedNoCache(current.memoryStats)
        let net = StatsMath.network(current.networks)
        let io = StatsMath.blockIO(current.blkioStats)
        self.init(
            id: target.id, name: target.name, image: target.image, project: target.project, service: target.service,
            cpuPercent: hasPrevious ? StatsMath.cpuPercent(previous: previousCPU, current: current.cpuStats) : 0,
            memoryUsedBytes: used, memoryLimitBytes: current.memoryStats.limit,
            memoryPercent: StatsMath.memoryPercent(used: used, limit: current.memoryStats.limit),
            networkRxBytes: net.rx, networkTxBytes: net.tx, blockReadBytes: io.read, blockWriteBytes: io.write,
            pids: current.pidsStats.current,
            cpuUsageSecondsTotal: Double(current.cpuStats.cpuUsage.totalUsage) / 1e9,
            memoryUsageBytes: current.memoryStats.usage,
            read: current.read, source: source
        )
    }
}

/// Where samples come from.
public enum StatsSourceKind: String, Sendable, Codable, CaseIterable {
    /// `GET /containers/{id}/stats?stream=false&one-shot=true`, concurrently for all containers.
    case api
    /// The container's cgroup files and its init process's /proc/<pid>/net/dev, read directly.
    case cgroup
}

/// Failures of sampling. Each names the container (or path) it concerns.
public enum ContainerStatsError: Error, Sendable, CustomStringConvertible {
    /// The engine could not be asked (transport, HTTP status or decoding; `underlying` says which).
    case engine(container: String?, underlying: any Error)
    /// A cgroup or /proc file could not be read or parsed.
    case cgroup(container: String, path: String, reason: String)
    /// The cgroup source cannot be used on this machine.
    case cgroupUnavailable(reason: String)

    public var description: String {
        switch self {
        case .engine(let container?, let underlying):
            "cannot get stats of container \(container): \(underlying)"
        case .engine(nil, let underlying):
            "cannot list containers: \(underlying)"
        case .cgroup(let container, let path, let reason):
            "cannot read stats of container \(container) from \(path): \(reason)"
        case .cgroupUnavailable(let reason):
            "cannot read container stats from cgroupfs: \(reason); use --source api"
        }
    }
}

extension ContainerStatsError: LocalizedError {
    public var errorDescription: String? { description }
}
