import DockerEngine
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads a container's stats straight from cgroupfs and procfs, producing the same payload the
/// engine would send (so `StatsMath` applies unchanged), without a round trip to the engine.
///
/// Layouts (both cgroup drivers):
/// - cgroup v1: `<root>/<controller>/docker/<id>/…` (cgroupfs driver) or
///   `<root>/<controller>/system.slice/docker-<id>.scope/…` (systemd driver), controllers
///   `cpuacct`, `cpu`, `memory`, `blkio`, `pids`.
/// - cgroup v2 (`<root>/cgroup.controllers` exists): `<root>/docker/<id>/…` or
///   `<root>/system.slice/docker-<id>.scope/…`.
///
/// Files read, as runc/containerd do for the engine: v1 `cpuacct.usage`, `cpuacct.usage_percpu`,
/// `cpuacct.stat`, `cpu.stat`, `memory.usage_in_bytes`, `memory.max_usage_in_bytes`,
/// `memory.failcnt`, `memory.limit_in_bytes`, `memory.stat`, `blkio.*io_service_bytes_recursive`
/// (bfq, then cfq, then throttle — the first that exists), `pids.current`, `pids.max`;
/// v2 `cpu.stat`, `memory.current`, `memory.max`, `memory.stat`, `io.stat`, `pids.current`, `pids.max`.
/// Network counters come from `/proc/<pid>/net/dev` of a process in the container (its network
/// namespace), leaving out `lo` as the engine does.
///
/// One deliberate difference: `system_cpu_usage` is the monotonic clock × online CPUs in
/// nanoseconds instead of the sum of `/proc/stat` ticks. Both measure the host's CPU capacity over
/// time; the clock has nanosecond resolution where ticks have 10 ms, so a short window between
/// two samples still gives a precise CPU %.
public struct CgroupReader: Sendable {
    public enum Version: String, Sendable { case v1, v2 }

    public let root: String
    public let procRoot: String
    public let version: Version

    /// - Parameters:
    ///   - root: the cgroupfs mount (`/sys/fs/cgroup`).
    ///   - procRoot: the procfs mount whose pids are the host's (`/proc`).
    public init(root: String = "/sys/fs/cgroup", procRoot: String = "/proc") throws(ContainerStatsError) {
        self.root = root
        self.procRoot = procRoot
        if access(root + "/cgroup.controllers", R_OK) == 0 {
            version = .v2
        } else if access(root + "/memory", R_OK) == 0 || access(root + "/cpuacct", R_OK) == 0 {
            version = .v1
        } else {
            throw .cgroupUnavailable(reason: "\(root) is not a readable cgroup v1 or v2 mount")
        }
    }

    /// The container's cgroup directory for `controller` (ignored on v2), trying the cgroupfs
    /// driver's path first and then the systemd driver's. `nil` when neither exists.
    public func directory(id: String, controller: String = "memory") -> String? {
        let base = version == .v2 ? root : "\(root)/\(controller)"
        for candidate in ["\(base)/docker/\(id)", "\(base)/system.slice/docker-\(id).scope"] where access(candidate, R_OK) == 0 {
            return candidate
        }
        return nil
    }

    /// True when the container's cgroup and the network namespace of one of its processes can be
    /// read from here (false, for example, inside a container without the host's pid namespace).
    public func canRead(id: String) -> Bool {
        guard let dir = directory(id: id, controller: version == .v2 ? "" : "pids") else { return false }
        guard let pid = firstPID(in: dir) else { return false }
        return access("\(procRoot)/\(pid)/net/dev", R_OK) == 0
    }

    /// Reads one container. `machineMemory` replaces an unlimited memory limit, as the engine does.
    public func read(target: StatsTarget, machineMemory: UInt64, onlineCPUs: UInt32, now: Date = Date()) throws(ContainerStatsError) -> ContainerStatsResponse {
        var stats = ContainerStatsResponse(name: "/" + target.name, id: target.id, read: Self.rfc3339(now))
        let systemUsage = Self.monotonicNanoseconds() &* UInt64(onlineCPUs)
        let pidsDir: String
        switch version {
        case .v1:
            let cpuacct = try require(target, controller: "cpuacct")
            let cpu = directory(id: target.id, controller: "cpu") ?? cpuacct
            let memory = try require(target, controller: "memory")
            let blkio = directory(id: target.id, controller: "blkio")
            pidsDir = try require(target, controller: "pids")

            var usage = ContainerStatsResponse.CPUUsage()
            usage.totalUsage = try number(target, "\(cpuacct)/cpuacct.usage")
            if let percpu = Self.readFile("\(cpuacct)/cpuacct.usage_percpu") {
                usage.percpuUsage = percpu.split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
            }
            if let stat = Self.readFile("\(cpuacct)/cpuacct.stat") {
                let map = Self.keyValues(stat)
                let tick = UInt64(1_000_000_000) / Self.clockTicksPerSecond
                usage.usageInUsermode = (map["user"] ?? 0) &* tick
                usage.usageInKernelmode = (map["system"] ?? 0) &* tick
            }
            var throttling = ContainerStatsResponse.ThrottlingData()
            if let stat = Self.readFile("\(cpu)/cpu.stat") {
                let map = Self.keyValues(stat)
                throttling = .init(periods: map["nr_periods"] ?? 0, throttledPeriods: map["nr_throttled"] ?? 0, throttledTime: map["throttled_time"] ?? 0)
            }
            stats.cpuStats = .init(cpuUsage: usage, systemCpuUsage: systemUsage, onlineCpus: onlineCPUs, throttlingData: throttling)

            var mem = ContainerStatsResponse.MemoryStats()
            mem.usage = try number(target, "\(memory)/memory.usage_in_bytes")
            mem.maxUsage = Self.readFile("\(memory)/memory.max_usage_in_bytes").flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            mem.failcnt = Self.readFile("\(memory)/memory.failcnt").flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            mem.limit = try number(target, "\(memory)/memory.limit_in_bytes")
            mem.stats = Self.keyValues(Self.readFile("\(memory)/memory.stat") ?? "")
            if machineMemory > 0, mem.limit > machineMemory { mem.limit = machineMemory }
            stats.memoryStats = mem

            if let blkio {
                for name in ["blkio.bfq.io_service_bytes_recursive", "blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive"] {
                    if let text = Self.readFile("\(blkio)/\(name)") {
                        stats.blkioStats.ioServiceBytesRecursive = Self.blkioV1(text)
                        break
                    }
                }
            }

        case .v2:
            guard let dir = directory(id: target.id) else {
                throw .cgroup(container: target.name, path: "\(root)/docker/\(target.id)", reason: "no cgroup directory for this container (not running, or a custom cgroup parent)")
            }
            pidsDir = dir
            guard let cpuText = Self.readFile("\(dir)/cpu.stat") else {
                throw .cgroup(container: target.name, path: "\(dir)/cpu.stat", reason: "not readable")
            }
            let cpu = Self.keyValues(cpuText)
            let usage = ContainerStatsResponse.CPUUsage(
                totalUsage: (cpu["usage_usec"] ?? 0) &* 1000, percpuUsage: nil,
                usageInKernelmode: (cpu["system_usec"] ?? 0) &* 1000, usageInUsermode: (cpu["user_usec"] ?? 0) &* 1000
            )
            let throttling = ContainerStatsResponse.ThrottlingData(periods: cpu["nr_periods"] ?? 0, throttledPeriods: cpu["nr_throttled"] ?? 0, throttledTime: (cpu["throttled_usec"] ?? 0) &* 1000)
            stats.cpuStats = .init(cpuUsage: usage, systemCpuUsage: systemUsage, onlineCpus: onlineCPUs, throttlingData: throttling)

            var mem = ContainerStatsResponse.MemoryStats()
            mem.usage = try number(target, "\(dir)/memory.current")
            let maxText = Self.readFile("\(dir)/memory.max")?.trimmingCharacters(in: .whitespacesAndNewlines)
            mem.limit = maxText.flatMap { UInt64($0) } ?? UInt64.max
            mem.stats = Self.keyValues(Self.readFile("\(dir)/memory.stat") ?? "")
            if machineMemory > 0, mem.limit > machineMemory { mem.limit = machineMemory }
            stats.memoryStats = mem

            if let io = Self.readFile("\(dir)/io.stat") {
                stats.blkioStats.ioServiceBytesRecursive = Self.ioStatV2(io)
            }
        }

        let pidsFile = "\(pidsDir)/pids.current"
        stats.pidsStats.current = try number(target, pidsFile)
        if let max = Self.readFile("\(pidsDir)/pids.max").flatMap({ UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            stats.pidsStats.limit = max
        }

        if let pid = firstPID(in: pidsDir), let netDev = Self.readFile("\(procRoot)/\(pid)/net/dev") {
            stats.networks = Self.netDev(netDev)
        }
        return stats
    }

    // MARK: - Host figures

    /// Online CPUs as the engine counts them: the `cpuN` lines of /proc/stat.
    public func onlineCPUs() -> UInt32 {
        guard let text = Self.readFile("\(procRoot)/stat") else { return UInt32(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
        let count = text.split(separator: "\n").filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count
        return UInt32(max(count, 1))
    }

    /// MemTotal of /proc/meminfo in bytes (the engine's "machine memory"); 0 when unknown.
    public func machineMemory() -> UInt64 {
        guard let text = Self.readFile("\(procRoot)/meminfo") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.count >= 2, let kib = UInt64(fields[1]) { return kib * 1024 }
        }
        return 0
    }

    // MARK: - Parsers (internal for tests)

    /// `key value` lines (memory.stat, cpu.stat, cpuacct.stat).
    static func keyValues(_ text: String) -> [String: UInt64] {
        var map: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            guard fields.count == 2, let value = UInt64(fields[1].trimmingCharacters(in: .whitespaces)) else { continue }
            map[String(fields[0])] = value
        }
        return map
    }

    /// cgroup v1 blkio lists: `MAJ:MIN Op value` lines and a final `Total n` line (skipped, as runc does).
    static func blkioV1(_ text: String) -> [ContainerStatsResponse.BlkioEntry] {
        var entries: [ContainerStatsResponse.BlkioEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.count == 3 else { continue }
            let device = fields[0].split(separator: ":")
            guard device.count == 2, let major = UInt64(device[0]), let minor = UInt64(device[1]), let value = UInt64(fields[2]) else { continue }
            entries.append(.init(major: major, minor: minor, op: String(fields[1]), value: value))
        }
        return entries
    }

    /// cgroup v2 `io.stat`: `MAJ:MIN rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…`, turned into
    /// `read`/`write` entries as containerd does for the engine.
    static func ioStatV2(_ text: String) -> [ContainerStatsResponse.BlkioEntry] {
        var entries: [ContainerStatsResponse.BlkioEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard let first = fields.first else { continue }
            let device = first.split(separator: ":")
            guard device.count == 2, let major = UInt64(device[0]), let minor = UInt64(device[1]) else { continue }
            var values: [Substring: UInt64] = [:]
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1)
                if pair.count == 2, let value = UInt64(pair[1]) { values[pair[0]] = value }
            }
            entries.append(.init(major: major, minor: minor, op: "read", value: values["rbytes"] ?? 0))
            entries.append(.init(major: major, minor: minor, op: "write", value: values["wbytes"] ?? 0))
        }
        return entries
    }

    /// /proc/<pid>/net/dev: per interface (without `lo`), receive and transmit columns.
    static func netDev(_ text: String) -> [String: ContainerStatsResponse.NetworkStats] {
        var result: [String: ContainerStatsResponse.NetworkStats] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name != "lo", !name.contains("|") else { continue }
            let values = line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).map { UInt64($0) ?? 0 }
            guard values.count >= 16 else { continue }
            result[name] = .init(
                rxBytes: values[0], rxPackets: values[1], rxErrors: values[2], rxDropped: values[3],
                txBytes: values[8], txPackets: values[9], txErrors: values[10], txDropped: values[11]
            )
        }
        return result
    }

    // MARK: - Helpers

    private func require(_ target: StatsTarget, controller: String) throws(ContainerStatsError) -> String {
        guard let dir = directory(id: target.id, controller: controller) else {
            throw .cgroup(container: target.name, path: "\(root)/\(controller)/docker/\(target.id)", reason: "no cgroup directory for this container (not running, or a custom cgroup parent)")
        }
        return dir
    }

    private func number(_ target: StatsTarget, _ path: String) throws(ContainerStatsError) -> UInt64 {
        guard let text = Self.readFile(path) else {
            throw .cgroup(container: target.name, path: path, reason: "not readable (the container may have stopped)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed == "max" { return UInt64.max }
        guard let value = UInt64(trimmed) else {
            throw .cgroup(container: target.name, path: path, reason: "expected a number, found \"\(trimmed.prefix(40))\"")
        }
        return value
    }

    /// The first process listed in the cgroup (any process shares the container's network namespace).
    func firstPID(in directory: String) -> Int? {
        guard let text = Self.readFile("\(directory)/cgroup.procs") else { return nil }
        return text.split(separator: "\n").lazy.compactMap { Int($0) }.first { $0 > 0 }
    }

    static let clockTicksPerSecond: UInt64 = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Reads a small pseudo-file with plain read(2) calls (sysfs/procfs report a size of 4096 or 0,
    /// so reading until EOF is the only correct way). `nil` when it cannot be opened.
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
