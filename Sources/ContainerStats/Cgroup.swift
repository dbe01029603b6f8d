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
/// namespace), leaving out `lo` as the engine does. With `Detail.figures` only the files behind
/// `docker stats`' figures and the exporter's metrics are read (no per-CPU, user/system split,
/// throttling, max usage, failcnt or pids limit), about half as many.
///
/// One deliberate difference: `system_cpu_usage` is the monotonic clock × online CPUs in
/// nanoseconds instead of the sum of `/proc/stat` ticks. Both measure the host's CPU capacity over
/// time; the clock has nanosecond resolution where ticks have 10 ms, so a short window between
/// two samples still gives a precise CPU %.
///
/// Parsing works on the files' bytes (no Foundation string processing, no ICU): reading 30
/// containers takes a few milliseconds, most of it in the kernel.
public struct CgroupReader: Sendable {
    public enum Version: String, Sendable { case v1, v2 }

    /// How much of the engine's payload to fill.
    public enum Detail: Sendable {
        /// Everything the engine reports.
        case full
        /// What `StatsMath` and the exporter use: CPU total, memory usage/limit/inactive file,
        /// block I/O, PIDs, networks.
        case figures
    }

    /// A container's resolved cgroup directories (v2: the same directory for every controller)
    /// and its block I/O file. Resolving costs a few `access(2)` calls; the collector keeps them.
    public struct Paths: Sendable, Equatable {
        public var cpuacct: String
        public var cpu: String
        public var memory: String
        public var pids: String
        /// v1: the first of the bfq/cfq/throttle `io_service_bytes_recursive` files that exists;
        /// v2: `io.stat`. `nil` when there is none.
        public var blkio: String?
    }

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

    /// Resolves every directory `read` needs; an error names the container and the missing path.
    public func paths(for target: StatsTarget) throws(ContainerStatsError) -> Paths {
        switch version {
        case .v1:
            let cpuacct = try require(target, controller: "cpuacct")
            let memory = try require(target, controller: "memory")
            let pids = try require(target, controller: "pids")
            let cpu = directory(id: target.id, controller: "cpu") ?? cpuacct
            var blkio: String?
            if let dir = directory(id: target.id, controller: "blkio") {
                for name in ["blkio.bfq.io_service_bytes_recursive", "blkio.io_service_bytes_recursive", "blkio.throttle.io_service_bytes_recursive"] {
                    let file = "\(dir)/\(name)"
                    if access(file, R_OK) == 0 {
                        blkio = file
                        break
                    }
                }
            }
            return Paths(cpuacct: cpuacct, cpu: cpu, memory: memory, pids: pids, blkio: blkio)
        case .v2:
            guard let dir = directory(id: target.id) else {
                throw .cgroup(
                    container: target.name, path: "\(root)/docker/\(target.id)",
                    reason: "no cgroup directory for this container (not running, or a custom cgroup parent)")
            }
            return Paths(cpuacct: dir, cpu: dir, memory: dir, pids: dir, blkio: "\(dir)/io.stat")
        }
    }

    /// Ids of the containers that have a cgroup here (both drivers), found by listing the
    /// directories, without asking the engine. Lets a caller take a first CPU sample while the
    /// engine is still answering which containers exist.
    public func containerIDs() -> [String] {
        let base = version == .v2 ? root : "\(root)/cpuacct"
        var ids: [String] = []
        for name in Self.list("\(base)/docker") where Self.isContainerID(name[...]) {
            ids.append(name)
        }
        for name in Self.list("\(base)/system.slice") where name.hasPrefix("docker-") && name.hasSuffix(".scope") {
            let id = name.dropFirst("docker-".count).dropLast(".scope".count)
            if Self.isContainerID(id) { ids.append(String(id)) }
        }
        return ids
    }

    /// True when the container's cgroup and the network namespace of one of its processes can be
    /// read from here (false, for example, inside a container without the host's pid namespace).
    public func canRead(id: String) -> Bool {
        guard let dir = directory(id: id, controller: version == .v2 ? "" : "pids") else { return false }
        guard let pid = firstPID(in: dir) else { return false }
        return access("\(procRoot)/\(pid)/net/dev", R_OK) == 0
    }

    /// Reads one container: the engine's whole payload. `machineMemory` replaces an unlimited
    /// memory limit, as the engine does.
    public func read(target: StatsTarget, machineMemory: UInt64, onlineCPUs: UInt32, now: Date = Date()) throws(ContainerStatsError) -> ContainerStatsResponse {
        try read(target: target, paths: paths(for: target), detail: .full, machineMemory: machineMemory, onlineCPUs: onlineCPUs, now: now)
    }

    /// Reads one container from already resolved `paths`.
    public func read(
        target: StatsTarget, paths: Paths, detail: Detail, machineMemory: UInt64, onlineCPUs: UInt32, now: Date = Date()
    ) throws(ContainerStatsError) -> ContainerStatsResponse {
        var stats = ContainerStatsResponse(name: "/" + target.name, id: target.id, read: Self.rfc3339(now))
        stats.cpuStats = try cpuStats(target: target, paths: paths, detail: detail, onlineCPUs: onlineCPUs)
        let full = detail == .full

        var mem = ContainerStatsResponse.MemoryStats()
        let keep: Set<String>? = full ? nil : Self.figureMemoryKeys
        switch version {
        case .v1:
            mem.usage = try number(target, "\(paths.memory)/memory.usage_in_bytes")
            if full {
                mem.maxUsage = Self.readFile("\(paths.memory)/memory.max_usage_in_bytes").flatMap(Self.parseNumber)
                mem.failcnt = Self.readFile("\(paths.memory)/memory.failcnt").flatMap(Self.parseNumber)
            }
            mem.limit = try number(target, "\(paths.memory)/memory.limit_in_bytes")
        case .v2:
            mem.usage = try number(target, "\(paths.memory)/memory.current")
            mem.limit = Self.readFile("\(paths.memory)/memory.max").flatMap(Self.parseNumber) ?? UInt64.max
        }
        mem.stats = Self.keyValues(Self.readFile("\(paths.memory)/memory.stat") ?? [], keep: keep)
        if machineMemory > 0, mem.limit > machineMemory { mem.limit = machineMemory }
        stats.memoryStats = mem

        if let blkio = paths.blkio, let bytes = Self.readFile(blkio) {
            stats.blkioStats.ioServiceBytesRecursive = version == .v1 ? Self.blkioV1(bytes) : Self.ioStatV2(bytes)
        }

        stats.pidsStats.current = try number(target, "\(paths.pids)/pids.current")
        if full, let max = Self.readFile("\(paths.pids)/pids.max").flatMap(Self.parseNumber), max != UInt64.max {
            stats.pidsStats.limit = max
        }

        if let pid = firstPID(in: paths.pids), let netDev = Self.readFile("\(procRoot)/\(pid)/net/dev") {
            stats.networks = Self.netDev(netDev)
        }
        return stats
    }

    /// Only the CPU counters (one file per container): enough to be the earlier of the two samples
    /// behind CPU %. `id` and `read` are set, everything else is empty.
    public func cpuSample(target: StatsTarget, paths: Paths, onlineCPUs: UInt32, now: Date = Date()) throws(ContainerStatsError) -> ContainerStatsResponse {
        var stats = ContainerStatsResponse(name: "/" + target.name, id: target.id, read: Self.rfc3339(now))
        stats.cpuStats = try cpuStats(target: target, paths: paths, detail: .figures, onlineCPUs: onlineCPUs)
        return stats
    }

    private func cpuStats(target: StatsTarget, paths: Paths, detail: Detail, onlineCPUs: UInt32) throws(ContainerStatsError) -> ContainerStatsResponse.CPUStats
    {
        let full = detail == .full
        switch version {
        case .v1:
            var usage = ContainerStatsResponse.CPUUsage()
            usage.totalUsage = try number(target, "\(paths.cpuacct)/cpuacct.usage")
            // The host side right after the container's counter, so both describe the same instant.
            let systemUsage = Self.monotonicNanoseconds() &* UInt64(onlineCPUs)
            var throttling = ContainerStatsResponse.ThrottlingData()
            if full {
                if let percpu = Self.readFile("\(paths.cpuacct)/cpuacct.usage_percpu") {
                    usage.percpuUsage = percpu.split(whereSeparator: Self.isSpace).compactMap { Self.parseNumber($0) }
                }
                if let stat = Self.readFile("\(paths.cpuacct)/cpuacct.stat") {
                    let map = Self.keyValues(stat, keep: nil)
                    let tick = UInt64(1_000_000_000) / Self.clockTicksPerSecond
                    usage.usageInUsermode = (map["user"] ?? 0) &* tick
                    usage.usageInKernelmode = (map["system"] ?? 0) &* tick
                }
                if let stat = Self.readFile("\(paths.cpu)/cpu.stat") {
                    let map = Self.keyValues(stat, keep: nil)
                    throttling = .init(periods: map["nr_periods"] ?? 0, throttledPeriods: map["nr_throttled"] ?? 0, throttledTime: map["throttled_time"] ?? 0)
                }
            }
            return .init(cpuUsage: usage, systemCpuUsage: systemUsage, onlineCpus: onlineCPUs, throttlingData: throttling)
        case .v2:
            let path = "\(paths.cpu)/cpu.stat"
            guard let text = Self.readFile(path) else {
                throw .cgroup(container: target.name, path: path, reason: "not readable (the container may have stopped)")
            }
            let systemUsage = Self.monotonicNanoseconds() &* UInt64(onlineCPUs)
            let cpu = Self.keyValues(text, keep: nil)
            let usage = ContainerStatsResponse.CPUUsage(
                totalUsage: (cpu["usage_usec"] ?? 0) &* 1000, percpuUsage: nil,
                usageInKernelmode: (cpu["system_usec"] ?? 0) &* 1000, usageInUsermode: (cpu["user_usec"] ?? 0) &* 1000
            )
            let throttling = ContainerStatsResponse.ThrottlingData(
                periods: cpu["nr_periods"] ?? 0, throttledPeriods: cpu["nr_throttled"] ?? 0, throttledTime: (cpu["throttled_usec"] ?? 0) &* 1000)
            return .init(cpuUsage: usage, systemCpuUsage: systemUsage, onlineCpus: onlineCPUs, throttlingData: throttling)
        }
    }

    /// The memory.stat keys `StatsMath.memoryUsedNoCache` uses (v1 and v2).
    static let figureMemoryKeys: Set<String> = ["total_inactive_file", "inactive_file"]

    // MARK: - Host figures

    /// Online CPUs as the engine counts them: the `cpuN` lines of /proc/stat.
    public func onlineCPUs() -> UInt32 {
        guard let bytes = Self.readFile("\(procRoot)/stat") else { return UInt32(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
        var count = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard line.count > 3, line.starts(with: Self.cpuPrefix) else { continue }
            if line[line.startIndex + 3] != UInt8(ascii: " ") { count += 1 }
        }
        return UInt32(max(count, 1))
    }

    /// MemTotal of /proc/meminfo in bytes (the engine's "machine memory"); 0 when unknown.
    public func machineMemory() -> UInt64 {
        guard let bytes = Self.readFile("\(procRoot)/meminfo") else { return 0 }
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: Self.memTotalPrefix) {
            let fields = line.split(whereSeparator: Self.isSpace)
            if fields.count >= 2, let kib = Self.parseNumber(fields[1]) { return kib * 1024 }
        }
        return 0
    }

    private static let cpuPrefix = Array("cpu".utf8)
    private static let memTotalPrefix = Array("MemTotal:".utf8)

    // MARK: - Parsers (internal for tests)

    /// `key value` lines (memory.stat, cpu.stat, cpuacct.stat).
    static func keyValues(_ text: String) -> [String: UInt64] {
        keyValues(Array(text.utf8), keep: nil)
    }

    /// `key value` lines; with `keep`, only those keys.
    static func keyValues(_ bytes: [UInt8], keep: Set<String>?) -> [String: UInt64] {
        var map: [String: UInt64] = [:]
        map.reserveCapacity(keep?.count ?? 48)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")), let value = parseNumber(line[(space + 1)...]) else { continue }
            let key = String(decoding: line[..<space], as: UTF8.self)
            if let keep, !keep.contains(key) { continue }
            map[key] = value
        }
        return map
    }

    /// cgroup v1 blkio lists: `MAJ:MIN Op value` lines and a final `Total n` line (skipped, as runc does).
    static func blkioV1(_ text: String) -> [ContainerStatsResponse.BlkioEntry] { blkioV1(Array(text.utf8)) }

    static func blkioV1(_ bytes: [UInt8]) -> [ContainerStatsResponse.BlkioEntry] {
        var entries: [ContainerStatsResponse.BlkioEntry] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(whereSeparator: isSpace)
            guard fields.count == 3, let (major, minor) = device(fields[0]), let value = parseNumber(fields[2]) else { continue }
            entries.append(.init(major: major, minor: minor, op: String(decoding: fields[1], as: UTF8.self), value: value))
        }
        return entries
    }

    /// cgroup v2 `io.stat`: `MAJ:MIN rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…`, turned into
    /// `read`/`write` entries as containerd does for the engine.
    static func ioStatV2(_ text: String) -> [ContainerStatsResponse.BlkioEntry] { ioStatV2(Array(text.utf8)) }

    static func ioStatV2(_ bytes: [UInt8]) -> [ContainerStatsResponse.BlkioEntry] {
        var entries: [ContainerStatsResponse.BlkioEntry] = []
        let rbytes = Array("rbytes".utf8), wbytes = Array("wbytes".utf8)
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(whereSeparator: isSpace)
            guard let first = fields.first, let (major, minor) = device(first) else { continue }
            var read: UInt64 = 0
            var write: UInt64 = 0
            for field in fields.dropFirst() {
                guard let equals = field.firstIndex(of: UInt8(ascii: "=")), let value = parseNumber(field[(equals + 1)...]) else { continue }
                let key = field[..<equals]
                if key.elementsEqual(rbytes) { read = value } else if key.elementsEqual(wbytes) { write = value }
            }
            entries.append(.init(major: major, minor: minor, op: "read", value: read))
            entries.append(.init(major: major, minor: minor, op: "write", value: write))
        }
        return entries
    }

    /// /proc/<pid>/net/dev: per interface (without `lo`), receive and transmit columns.
    static func netDev(_ text: String) -> [String: ContainerStatsResponse.NetworkStats] { netDev(Array(text.utf8)) }

    static func netDev(_ bytes: [UInt8]) -> [String: ContainerStatsResponse.NetworkStats] {
        var result: [String: ContainerStatsResponse.NetworkStats] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let nameBytes = line[..<colon].drop(while: isSpace)
            guard !nameBytes.isEmpty, !nameBytes.contains(UInt8(ascii: "|")) else { continue }
            let name = String(decoding: nameBytes.reversed().drop(while: isSpace).reversed(), as: UTF8.self)
            guard name != "lo" else { continue }
            let values = line[(colon + 1)...].split(whereSeparator: isSpace).map { parseNumber($0) ?? 0 }
            guard values.count >= 16 else { continue }
            result[name] = .init(
                rxBytes: values[0], rxPackets: values[1], rxErrors: values[2], rxDropped: values[3],
                txBytes: values[8], txPackets: values[9], txErrors: values[10], txDropped: values[11]
            )
        }
        return result
    }

    /// A decimal counter, surrounding whitespace ignored; `max` (an unlimited cgroup value) is
    /// `UInt64.max`. `nil` for anything else.
    static func parseNumber<C: Collection>(_ bytes: C) -> UInt64? where C.Element == UInt8 {
        var value: UInt64 = 0
        var digits = 0
        var seenEnd = false
        let trimmed = bytes.drop(while: isSpace)
        if trimmed.starts(with: maxWord) {
            return trimmed.dropFirst(3).allSatisfy(isSpace) ? UInt64.max : nil
        }
        var index = trimmed.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), !seenEnd {
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                value = sum
                digits += 1
            } else if isSpace(byte) {
                seenEnd = true
            } else {
                return nil
            }
            index = bytes.index(after: index)
        }
        return digits > 0 ? value : nil
    }

    private static let maxWord = Array("max".utf8)

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
    }

    private static func device<C: Collection>(_ field: C) -> (UInt64, UInt64)? where C.Element == UInt8, C.SubSequence: Collection {
        let parts = field.split(separator: UInt8(ascii: ":"))
        guard parts.count == 2, let major = parseNumber(parts[0]), let minor = parseNumber(parts[1]) else { return nil }
        return (major, minor)
    }

    static func isContainerID(_ name: Substring) -> Bool {
        name.utf8.count == 64
            && name.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    // MARK: - Helpers

    private func require(_ target: StatsTarget, controller: String) throws(ContainerStatsError) -> String {
        guard let dir = directory(id: target.id, controller: controller) else {
            throw .cgroup(
                container: target.name, path: "\(root)/\(controller)/docker/\(target.id)",
                reason: "no cgroup directory for this container (not running, or a custom cgroup parent)")
        }
        return dir
    }

    private func number(_ target: StatsTarget, _ path: String) throws(ContainerStatsError) -> UInt64 {
        guard let bytes = Self.readFile(path) else {
            throw .cgroup(container: target.name, path: path, reason: "not readable (the container may have stopped)")
        }
        guard let value = Self.parseNumber(bytes) else {
            let text = String(decoding: bytes.prefix(40), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .cgroup(container: target.name, path: path, reason: "expected a number, found \"\(text)\"")
        }
        return value
    }

    /// The first process listed in the cgroup (any process shares the container's network namespace).
    func firstPID(in directory: String) -> Int? {
        guard let bytes = Self.readFile("\(directory)/cgroup.procs") else { return nil }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if let pid = Self.parseNumber(line), pid > 0, pid < UInt64(Int32.max) { return Int(pid) }
        }
        return nil
    }

    static let clockTicksPerSecond: UInt64 = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano, the engine's
    /// `read`), e.g. `2026-11-25T22:40:01.123456Z`. Formatted by hand: Foundation's date
    /// formatters load ICU, which costs milliseconds and megabytes of resident memory.
    static func rfc3339(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var nanos = Int(((interval - Double(seconds)) * 1e9).rounded())
        if nanos >= 1_000_000_000 { seconds += 1; nanos -= 1_000_000_000 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        var text =
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        if nanos > 0 {
            var fraction = pad(Int32(nanos), 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    /// Lists a directory's entries (without `.` and `..`); empty when it cannot be read.
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Reads a small pseudo-file with plain read(2) calls (sysfs/procfs report a size of 4096 or 0,
    /// so the size cannot be asked first). These are seq_files: a read returns as many whole lines
    /// as fit the kernel's page-sized buffer, so a short read that stayed under half a page is the
    /// end of the file (one read(2) instead of two for the usual counter files); longer contents
    /// (/proc/stat on many CPUs, big cgroup.procs) are read until read(2) returns 0.
    /// `nil` when it cannot be opened.
    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let asked = bytes.count - filled
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + filled, asked)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            filled += n
            if n == 0 || (n < asked && filled < 2048) { break }
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}
