import Foundation

/// The payload of `GET /containers/{id}/stats` (Docker Engine API), for Linux engines on
/// cgroup v1 and cgroup v2.
///
/// Field names follow the engine's JSON exactly (moby `api/types/container/stats.go`). Everything
/// the engine may leave out or send as `null` is optional or defaults to empty, because the shape
/// differs between cgroup versions:
/// - cgroup v1: `cpu_stats.cpu_usage.percpu_usage` is present, `memory_stats.stats` has
///   `total_inactive_file`, `cache`, `rss`, …, and `blkio_stats` fills every `*_recursive` list
///   with ops `Read`/`Write`/`Sync`/`Async`/`Total` (newer engines: `Discard` too).
/// - cgroup v2: no `percpu_usage`, `memory_stats.stats` has `inactive_file`, `anon`, `file`, …,
///   `max_usage`/`failcnt` are absent, and only `io_service_bytes_recursive` is filled, with
///   lower-case ops `read`/`write`.
/// - A one-shot request (`?stream=false&one-shot=true`, API ≥ 1.41) returns an empty
///   `precpu_stats` and `preread` = `0001-01-01T00:00:00Z`.
/// - A stopped container answers with zeroed fields and no `networks`.
public struct ContainerStatsResponse: Codable, Sendable, Equatable {
    /// The container's name with the engine's leading slash, e.g. `/app-api-1` (API ≥ 1.21).
    public var name: String?
    public var id: String?
    /// When this sample was read, RFC 3339 with nanoseconds, e.g. `2026-11-25T22:40:01.123456789Z`.
    public var read: String
    /// When `precpu_stats` was read; the zero time when there is no previous sample.
    public var preread: String
    /// Only set by Engine ≥ 29; older engines leave it out.
    public var osType: String?
    public var pidsStats: PidsStats
    public var blkioStats: BlkioStats
    /// Number of processors (Windows only; 0 on Linux).
    public var numProcs: UInt32
    public var cpuStats: CPUStats
    public var precpuStats: CPUStats
    public var memoryStats: MemoryStats
    /// Per interface (`eth0`, …). Absent for containers with network mode `none`/`host` and for
    /// stopped containers.
    public var networks: [String: NetworkStats]?

    public init(
        name: String? = nil, id: String? = nil, read: String, preread: String = ContainerStatsResponse.zeroTime,
        osType: String? = nil, pidsStats: PidsStats = .init(), blkioStats: BlkioStats = .init(), numProcs: UInt32 = 0,
        cpuStats: CPUStats = .init(), precpuStats: CPUStats = .init(), memoryStats: MemoryStats = .init(),
        networks: [String: NetworkStats]? = nil
    ) {
        self.name = name
        self.id = id
        self.read = read
        self.preread = preread
        self.osType = osType
        self.pidsStats = pidsStats
        self.blkioStats = blkioStats
        self.numProcs = numProcs
        self.cpuStats = cpuStats
        self.precpuStats = precpuStats
        self.memoryStats = memoryStats
        self.networks = networks
    }

    /// Go's zero `time.Time`, which the engine sends for "never".
    public static let zeroTime = "0001-01-01T00:00:00Z"

    enum CodingKeys: String, CodingKey {
        case name, id, read, preread
        case osType = "os_type"
        case pidsStats = "pids_stats"
        case blkioStats = "blkio_stats"
        case numProcs = "num_procs"
        case cpuStats = "cpu_stats"
        case precpuStats = "precpu_stats"
        case memoryStats = "memory_stats"
        case networks
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        read = try c.decodeIfPresent(String.self, forKey: .read) ?? Self.zeroTime
        preread = try c.decodeIfPresent(String.self, forKey: .preread) ?? Self.zeroTime
        osType = try c.decodeIfPresent(String.self, forKey: .osType)
        pidsStats = try c.decodeIfPresent(PidsStats.self, forKey: .pidsStats) ?? .init()
        blkioStats = try c.decodeIfPresent(BlkioStats.self, forKey: .blkioStats) ?? .init()
        numProcs = try c.decodeIfPresent(UInt32.self, forKey: .numProcs) ?? 0
        cpuStats = try c.decodeIfPresent(CPUStats.self, forKey: .cpuStats) ?? .init()
        precpuStats = try c.decodeIfPresent(CPUStats.self, forKey: .precpuStats) ?? .init()
        memoryStats = try c.decodeIfPresent(MemoryStats.self, forKey: .memoryStats) ?? .init()
        networks = try c.decodeIfPresent([String: NetworkStats].self, forKey: .networks)
    }

    /// `read` as a date (nanoseconds are kept to microsecond precision by `Date`); `nil` for the zero time.
    public var readDate: Date? { Self.parseTime(read) }
    /// `preread` as a date; `nil` for the zero time (one-shot samples).
    public var prereadDate: Date? { Self.parseTime(preread) }

    /// Parses the engine's RFC 3339 timestamps, with or without fractional seconds and with any
    /// number of fractional digits (Go writes up to nine). Returns `nil` for Go's zero time.
    public static func parseTime(_ text: String) -> Date? {
        guard !text.hasPrefix("0001-01-01") else { return nil }
        // Split off the fraction, which ISO8601DateFormatter only takes with exactly 3 digits.
        var base = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let afterDot = text.index(after: dot)
            let end = text[afterDot...].firstIndex { !$0.isNumber } ?? text.endIndex
            fraction = Double("0." + text[afterDot..<end]) ?? 0
            base = String(text[..<dot]) + String(text[end...])
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: base) else { return nil }
        return date.addingTimeInterval(fraction)
    }

    public struct PidsStats: Codable, Sendable, Equatable {
        /// Number of processes/threads in the container's cgroup.
        public var current: UInt64
        /// The pids limit; absent or 0 when unlimited.
        public var limit: UInt64?

        public init(current: UInt64 = 0, limit: UInt64? = nil) {
            self.current = current
            self.limit = limit
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            current = try c.decodeIfPresent(UInt64.self, forKey: .current) ?? 0
            limit = try c.decodeIfPresent(UInt64.self, forKey: .limit)
        }
    }

    /// One line of a blkio list: a device and an operation (`Read`, `Write`, … on v1; `read`,
    /// `write` on v2) with a value.
    public struct BlkioEntry: Codable, Sendable, Equatable {
        public var major: UInt64
        public var minor: UInt64
        public var op: String
        public var value: UInt64

        public init(major: UInt64, minor: UInt64, op: String, value: UInt64) {
            self.major = major
            self.minor = minor
            self.op = op
            self.value = value
        }
    }

    /// Lists are `null` (not empty) when the cgroup does not report them; both decode to `[]`.
    public struct BlkioStats: Codable, Sendable, Equatable {
        public var ioServiceBytesRecursive: [BlkioEntry]
        public var ioServicedRecursive: [BlkioEntry]
        public var ioQueueRecursive: [BlkioEntry]
        public var ioServiceTimeRecursive: [BlkioEntry]
        public var ioWaitTimeRecursive: [BlkioEntry]
        public var ioMergedRecursive: [BlkioEntry]
        public var ioTimeRecursive: [BlkioEntry]
        public var sectorsRecursive: [BlkioEntry]

        public init(
            ioServiceBytesRecursive: [BlkioEntry] = [], ioServicedRecursive: [BlkioEntry] = [],
            ioQueueRecursive: [BlkioEntry] = [], ioServiceTimeRecursive: [BlkioEntry] = [],
            ioWaitTimeRecursive: [BlkioEntry] = [], ioMergedRecursive: [BlkioEntry] = [],
            ioTimeRecursive: [BlkioEntry] = [], sectorsRecursive: [BlkioEntry] = []
        ) {
            self.ioServiceBytesRecursive = ioServiceBytesRecursive
            self.ioServicedRecursive = ioServicedRecursive
            self.ioQueueRecursive = ioQueueRecursive
            self.ioServiceTimeRecursive = ioServiceTimeRecursive
            self.ioWaitTimeRecursive = ioWaitTimeRecursive
            self.ioMergedRecursive = ioMergedRecursive
            self.ioTimeRecursive = ioTimeRecursive
            self.sectorsRecursive = sectorsRecursive
        }

        enum CodingKeys: String, CodingKey {
            case ioServiceBytesRecursive = "io_service_bytes_recursive"
            case ioServicedRecursive = "io_serviced_recursive"
            case ioQueueRecursive = "io_queue_recursive"
            case ioServiceTimeRecursive = "io_service_time_recursive"
            case ioWaitTimeRecursive = "io_wait_time_recursive"
            case ioMergedRecursive = "io_merged_recursive"
            case ioTimeRecursive = "io_time_recursive"
            case sectorsRecursive = "sectors_recursive"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func list(_ key: CodingKeys) throws -> [BlkioEntry] {
                try c.decodeIfPresent([BlkioEntry].self, forKey: key) ?? []
            }
            ioServiceBytesRecursive = try list(.ioServiceBytesRecursive)
            ioServicedRecursive = try list(.ioServicedRecursive)
            ioQueueRecursive = try list(.ioQueueRecursive)
            ioServiceTimeRecursive = try list(.ioServiceTimeRecursive)
            ioWaitTimeRecursive = try list(.ioWaitTimeRecursive)
            ioMergedRecursive = try list(.ioMergedRecursive)
            ioTimeRecursive = try list(.ioTimeRecursive)
            sectorsRecursive = try list(.sectorsRecursive)
        }
    }

    public struct CPUUsage: Codable, Sendable, Equatable {
        /// Total CPU time consumed by the container, nanoseconds.
        public var totalUsage: UInt64
        /// Per-CPU time, nanoseconds (cgroup v1 only; absent on v2).
        public var percpuUsage: [UInt64]?
        /// Kernel-mode time, nanoseconds.
        public var usageInKernelmode: UInt64
        /// User-mode time, nanoseconds.
        public var usageInUsermode: UInt64

        public init(totalUsage: UInt64 = 0, percpuUsage: [UInt64]? = nil, usageInKernelmode: UInt64 = 0, usageInUsermode: UInt64 = 0) {
            self.totalUsage = totalUsage
            self.percpuUsage = percpuUsage
            self.usageInKernelmode = usageInKernelmode
            self.usageInUsermode = usageInUsermode
        }

        enum CodingKeys: String, CodingKey {
            case totalUsage = "total_usage"
            case percpuUsage = "percpu_usage"
            case usageInKernelmode = "usage_in_kernelmode"
            case usageInUsermode = "usage_in_usermode"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            totalUsage = try c.decodeIfPresent(UInt64.self, forKey: .totalUsage) ?? 0
            percpuUsage = try c.decodeIfPresent([UInt64].self, forKey: .percpuUsage)
            usageInKernelmode = try c.decodeIfPresent(UInt64.self, forKey: .usageInKernelmode) ?? 0
            usageInUsermode = try c.decodeIfPresent(UInt64.self, forKey: .usageInUsermode) ?? 0
        }
    }

    public struct ThrottlingData: Codable, Sendable, Equatable {
        public var periods: UInt64
        public var throttledPeriods: UInt64
        /// Nanoseconds.
        public var throttledTime: UInt64

        public init(periods: UInt64 = 0, throttledPeriods: UInt64 = 0, throttledTime: UInt64 = 0) {
            self.periods = periods
            self.throttledPeriods = throttledPeriods
            self.throttledTime = throttledTime
        }

        enum CodingKeys: String, CodingKey {
            case periods
            case throttledPeriods = "throttled_periods"
            case throttledTime = "throttled_time"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            periods = try c.decodeIfPresent(UInt64.self, forKey: .periods) ?? 0
            throttledPeriods = try c.decodeIfPresent(UInt64.self, forKey: .throttledPeriods) ?? 0
            throttledTime = try c.decodeIfPresent(UInt64.self, forKey: .throttledTime) ?? 0
        }
    }

    public struct CPUStats: Codable, Sendable, Equatable {
        public var cpuUsage: CPUUsage
        /// The host's cumulative CPU time, nanoseconds (from /proc/stat, all CPUs). Absent in an
        /// empty `precpu_stats`.
        public var systemCpuUsage: UInt64?
        /// Online CPUs on the host (API ≥ 1.27); 0 or absent on old engines.
        public var onlineCpus: UInt32?
        public var throttlingData: ThrottlingData

        public init(cpuUsage: CPUUsage = .init(), systemCpuUsage: UInt64? = nil, onlineCpus: UInt32? = nil, throttlingData: ThrottlingData = .init()) {
            self.cpuUsage = cpuUsage
            self.systemCpuUsage = systemCpuUsage
            self.onlineCpus = onlineCpus
            self.throttlingData = throttlingData
        }

        enum CodingKeys: String, CodingKey {
            case cpuUsage = "cpu_usage"
            case systemCpuUsage = "system_cpu_usage"
            case onlineCpus = "online_cpus"
            case throttlingData = "throttling_data"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            cpuUsage = try c.decodeIfPresent(CPUUsage.self, forKey: .cpuUsage) ?? .init()
            systemCpuUsage = try c.decodeIfPresent(UInt64.self, forKey: .systemCpuUsage)
            onlineCpus = try c.decodeIfPresent(UInt32.self, forKey: .onlineCpus)
            throttlingData = try c.decodeIfPresent(ThrottlingData.self, forKey: .throttlingData) ?? .init()
        }
    }

    public struct MemoryStats: Codable, Sendable, Equatable {
        /// Current usage in bytes, page cache included (v1 `memory.usage_in_bytes`, v2 `memory.current`).
        public var usage: UInt64
        /// Peak usage (cgroup v1 only).
        public var maxUsage: UInt64?
        /// The cgroup's `memory.stat` as key → value: v1 keys such as `cache`, `rss`,
        /// `total_inactive_file`; v2 keys such as `anon`, `file`, `inactive_file`.
        public var stats: [String: UInt64]
        /// Times the limit was hit (cgroup v1 only).
        public var failcnt: UInt64?
        /// The memory limit, bytes; the host's memory when the container has none.
        public var limit: UInt64

        public init(usage: UInt64 = 0, maxUsage: UInt64? = nil, stats: [String: UInt64] = [:], failcnt: UInt64? = nil, limit: UInt64 = 0) {
            self.usage = usage
            self.maxUsage = maxUsage
            self.stats = stats
            self.failcnt = failcnt
            self.limit = limit
        }

        enum CodingKeys: String, CodingKey {
            case usage
            case maxUsage = "max_usage"
            case stats, failcnt, limit
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            usage = try c.decodeIfPresent(UInt64.self, forKey: .usage) ?? 0
            maxUsage = try c.decodeIfPresent(UInt64.self, forKey: .maxUsage)
            stats = try c.decodeIfPresent([String: UInt64].self, forKey: .stats) ?? [:]
            failcnt = try c.decodeIfPresent(UInt64.self, forKey: .failcnt)
            limit = try c.decodeIfPresent(UInt64.self, forKey: .limit) ?? 0
        }
    }

    public struct NetworkStats: Codable, Sendable, Equatable {
        public var rxBytes: UInt64
        public var rxPackets: UInt64
        public var rxErrors: UInt64
        public var rxDropped: UInt64
        public var txBytes: UInt64
        public var txPackets: UInt64
        public var txErrors: UInt64
        public var txDropped: UInt64

        public init(
            rxBytes: UInt64 = 0, rxPackets: UInt64 = 0, rxErrors: UInt64 = 0, rxDropped: UInt64 = 0,
            txBytes: UInt64 = 0, txPackets: UInt64 = 0, txErrors: UInt64 = 0, txDropped: UInt64 = 0
        ) {
            self.rxBytes = rxBytes
            self.rxPackets = rxPackets
            self.rxErrors = rxErrors
            self.rxDropped = rxDropped
            self.txBytes = txBytes
            self.txPackets = txPackets
            self.txErrors = txErrors
            self.txDropped = txDropped
        }

        enum CodingKeys: String, CodingKey {
            case rxBytes = "rx_bytes", rxPackets = "rx_packets", rxErrors = "rx_errors", rxDropped = "rx_dropped"
            case txBytes = "tx_bytes", txPackets = "tx_packets", txErrors = "tx_errors", txDropped = "tx_dropped"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func value(_ key: CodingKeys) throws -> UInt64 { try c.decodeIfPresent(UInt64.self, forKey: key) ?? 0 }
            rxBytes = try value(.rxBytes)
            rxPackets = try value(.rxPackets)
            rxErrors = try value(.rxErrors)
            rxDropped = try value(.rxDropped)
            txBytes = try value(.txBytes)
            txPackets = try value(.txPackets)
            txErrors = try value(.txErrors)
            txDropped = try value(.txDropped)
        }
    }
}
