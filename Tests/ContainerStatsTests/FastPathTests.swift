import DockerEngine
import Foundation
import Logging
import Testing

@testable import ContainerStats

/// The parts that make `stats --no-stream` fast: byte-level parsers, the hand-made RFC 3339
/// timestamp, resolved paths, the CPU-only first sample and CPU baselines taken before the engine
/// has listed the containers.
@Suite("ContainerStats fast path")
struct FastPathTests {
    let id = String(repeating: "cd", count: 32)

    /// A cgroup v1 container (cgroupfs driver) whose CPU counter the test moves.
    func v1Host(usage: UInt64) throws -> FakeHost {
        let host = try FakeHost()
        let dir = "docker/\(id)"
        try host.writeProc(pid: 900)
        try host.write("cgroup/cpuacct/\(dir)/cpuacct.usage", "\(usage)\n")
        try host.write("cgroup/cpuacct/\(dir)/cpuacct.usage_percpu", "\(usage) 0 \n")
        try host.write("cgroup/cpuacct/\(dir)/cpuacct.stat", "user 1\nsystem 1\n")
        try host.write("cgroup/cpu/\(dir)/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 99\n")
        try host.write("cgroup/memory/\(dir)/memory.usage_in_bytes", "2097152\n")
        try host.write("cgroup/memory/\(dir)/memory.max_usage_in_bytes", "3000000\n")
        try host.write("cgroup/memory/\(dir)/memory.failcnt", "7\n")
        try host.write("cgroup/memory/\(dir)/memory.limit_in_bytes", "1073741824\n")
        try host.write("cgroup/memory/\(dir)/memory.stat", "cache 8192\nrss 2088960\ntotal_inactive_file 1048576\ninactive_file 1048576\ntotal_rss 2088960\n")
        try host.write("cgroup/blkio/\(dir)/blkio.throttle.io_service_bytes_recursive", "8:0 Read 10\n8:0 Write 20\nTotal 30\n")
        try host.write("cgroup/pids/\(dir)/pids.current", "2\n")
        try host.write("cgroup/pids/\(dir)/pids.max", "64\n")
        try host.write("cgroup/pids/\(dir)/cgroup.procs", "900\n")
        return host
    }

    @Test(
        "numbers: plain, padded, 'max', and garbage or overflow as nil",
        arguments: [
            ("123\n", UInt64(123) as UInt64?), ("  42 \n", 42), ("max\n", UInt64.max), ("0", 0),
            ("lots\n", nil), ("", nil), ("12a", nil), ("1 2", nil), ("maxi", nil), ("99999999999999999999999", nil),
        ])
    func numbers(text: String, expected: UInt64?) {
        #expect(CgroupReader.parseNumber(Array(text.utf8)) == expected)
    }

    @Test("key/value files keep every key, or only the asked ones")
    func keyValues() {
        let text = "cache 4096\nrss 10\ntotal_inactive_file 7\nbroken\nspaced  \n"
        #expect(CgroupReader.keyValues(text) == ["cache": 4096, "rss": 10, "total_inactive_file": 7])
        #expect(CgroupReader.keyValues(Array(text.utf8), keep: ["total_inactive_file", "inactive_file"]) == ["total_inactive_file": 7])
    }

    @Test("blkio v1 skips the Total line and malformed devices; io.stat v2 gives read/write per device")
    func blockIO() {
        let v1 = CgroupReader.blkioV1("8:0 Read 5\n8:0 Write 6\nx:0 Read 9\nTotal 11\n")
        #expect(v1 == [.init(major: 8, minor: 0, op: "Read", value: 5), .init(major: 8, minor: 0, op: "Write", value: 6)])
        let v2 = CgroupReader.ioStatV2("259:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n")
        #expect(v2 == [.init(major: 259, minor: 0, op: "read", value: 100), .init(major: 259, minor: 0, op: "write", value: 200)])
    }

    @Test(
        "the sample time is RFC 3339 in UTC with trailing zeros trimmed, and parses back to the same instant",
        arguments: [
            (0.0, "1970-01-01T00:00:00Z"), (0.5, "1970-01-01T00:00:00.5Z"), (1_764_115_200.25, "2025-11-26T00:00:00.25Z"),
            (951_782_400.0, "2000-02-29T00:00:00Z"),
        ])
    func timestamps(seconds: Double, expected: String) throws {
        let text = CgroupReader.rfc3339(Date(timeIntervalSince1970: seconds))
        #expect(text == expected)
        let parsed = try #require(ContainerStatsResponse.parseTime(text))
        #expect(abs(parsed.timeIntervalSince1970 - seconds) < 1e-6)
    }

    @Test("a recent instant keeps microsecond detail")
    func timestampPrecision() throws {
        let now = Date()
        let text = CgroupReader.rfc3339(now)
        #expect(text.hasSuffix("Z"))
        let parsed = try #require(ContainerStatsResponse.parseTime(text))
        #expect(abs(parsed.timeIntervalSince1970 - now.timeIntervalSince1970) < 1e-5)
    }

    @Test("container ids come from both drivers' directories; other entries are ignored", arguments: [false, true])
    func containerIDs(v2: Bool) throws {
        let host = try FakeHost()
        defer { host.remove() }
        let other = String(repeating: "0f", count: 32)
        let base = v2 ? "cgroup" : "cgroup/cpuacct"
        if v2 { try host.write("cgroup/cgroup.controllers", "cpu memory pids\n") } else { try host.write("cgroup/memory/.keep", "") }
        try host.write("\(base)/docker/\(id)/cpu.stat", "")
        try host.write("\(base)/docker/not-a-container/cpu.stat", "")
        try host.write("\(base)/docker/cpu.stat", "")
        try host.write("\(base)/system.slice/docker-\(other).scope/cpu.stat", "")
        try host.write("\(base)/system.slice/ssh.service/cpu.stat", "")
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        #expect(reader.version == (v2 ? .v2 : .v1))
        #expect(Set(reader.containerIDs()) == [id, other])
    }

    @Test("the figures-only read gives the same docker stats figures as the full one, from fewer files")
    func figures() throws {
        let host = try v1Host(usage: 5_000_000)
        defer { host.remove() }
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        let target = StatsTarget(id: id, name: "app-api-1", image: "i")
        let paths = try reader.paths(for: target)
        #expect(paths.blkio?.hasSuffix("blkio.throttle.io_service_bytes_recursive") == true)
        let full = try reader.read(target: target, paths: paths, detail: .full, machineMemory: 1 << 34, onlineCPUs: 2)
        let lean = try reader.read(target: target, paths: paths, detail: .figures, machineMemory: 1 << 34, onlineCPUs: 2)
        #expect(full.cpuStats.cpuUsage.percpuUsage == [5_000_000, 0])
        #expect(full.memoryStats.maxUsage == 3_000_000 && full.memoryStats.failcnt == 7 && full.pidsStats.limit == 64)
        #expect(full.cpuStats.throttlingData.throttledPeriods == 1)
        #expect(lean.cpuStats.cpuUsage.percpuUsage == nil && lean.memoryStats.maxUsage == nil && lean.pidsStats.limit == nil)
        #expect(lean.memoryStats.stats == ["total_inactive_file": 1_048_576, "inactive_file": 1_048_576])
        let a = ContainerStatsEntry(target: target, current: full, previous: nil, source: .cgroup)
        let b = ContainerStatsEntry(target: target, current: lean, previous: nil, source: .cgroup)
        #expect(a.memoryUsedBytes == b.memoryUsedBytes && a.memoryUsedBytes == 2_097_152 - 1_048_576)
        #expect(a.memoryLimitBytes == b.memoryLimitBytes && a.blockReadBytes == b.blockReadBytes && a.blockWriteBytes == 20)
        #expect(a.pids == b.pids && a.networkRxBytes == b.networkRxBytes && a.cpuUsageSecondsTotal == b.cpuUsageSecondsTotal)
    }

    /// CPU % must be Δcontainer over the wall time between the two reads: bounded by the time
    /// measured around them.
    func expectCPU(_ percent: Double, delta: UInt64, outer: Duration) {
        let outerSeconds = Double(outer.components.seconds) + Double(outer.components.attoseconds) / 1e18
        let lowest = Double(delta) / 1e9 / outerSeconds * 100
        #expect(percent >= lowest * 0.999, "CPU \(percent) % is below \(lowest) % (\(delta) ns over at most \(outerSeconds) s)")
        #expect(percent > 0)
    }

    @Test("baselines taken before the engine answers give CPU % at the next sample")
    func baselines() async throws {
        let host = try v1Host(usage: 1_000_000_000)
        defer { host.remove() }
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        let started = ContinuousClock.now
        let baselines = CPUBaselines.take(reader)
        #expect(baselines.samples.keys.sorted() == [id])
        #expect(baselines.samples[id]?.cpuStats.cpuUsage.totalUsage == 1_000_000_000)
        #expect(baselines.paths[id] != nil)

        try await Task.sleep(for: .milliseconds(20))
        try host.write("cgroup/cpuacct/docker/\(id)/cpuacct.usage", "1010000000\n")
        let target = StatsTarget(id: id, name: "app-api-1", image: "i")
        let collector = try StatsCollector(source: .cgroup, engine: NoEngine(), cgroup: reader, logger: Logger(label: "test"))
        #expect(await collector.adopt(baselines, for: [target, StatsTarget(id: "other", name: "x", image: "i")]) == [id])
        let snapshot = await collector.sample([target])
        let outer = ContinuousClock.now - started
        let entry = try #require(snapshot.entries.first)
        expectCPU(entry.cpuPercent, delta: 10_000_000, outer: outer)
        #expect(entry.memoryUsedBytes == 1_048_576)
    }

    @Test("the API source adopts no cgroup baselines (its host counter is another clock)")
    func apiAdoptsNothing() async throws {
        let host = try v1Host(usage: 1)
        defer { host.remove() }
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        let collector = try StatsCollector(source: .api, engine: NoEngine(), logger: Logger(label: "test"))
        #expect(await collector.adopt(CPUBaselines.take(reader), for: [StatsTarget(id: id, name: "a", image: "i")]).isEmpty)
    }

    @Test("primeCPU reads the CPU counter only; the next sample gives CPU % since then")
    func prime() async throws {
        let host = try v1Host(usage: 2_000_000_000)
        defer { host.remove() }
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        let collector = try StatsCollector(source: .cgroup, engine: NoEngine(), cgroup: reader, logger: Logger(label: "test"))
        let target = StatsTarget(id: id, name: "app-api-1", image: "i")
        let started = ContinuousClock.now
        await collector.primeCPU([target])
        // Only the CPU counter is needed for the first sample: the memory files may be gone meanwhile.
        try host.write("cgroup/cpuacct/docker/\(id)/cpuacct.usage", "2020000000\n")
        try await Task.sleep(for: .milliseconds(10))
        let snapshot = await collector.sample([target])
        let outer = ContinuousClock.now - started
        let entry = try #require(snapshot.entries.first)
        #expect(entry.cpuUsageSecondsTotal == 2.02)
        expectCPU(entry.cpuPercent, delta: 20_000_000, outer: outer)
    }

    @Test("sampleTwice: an idle container shows 0 %, a vanished one is a failure naming it")
    func sampleTwice() async throws {
        let host = try v1Host(usage: 2_000_000_000)
        defer { host.remove() }
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        let collector = try StatsCollector(source: .cgroup, engine: NoEngine(), cgroup: reader, logger: Logger(label: "test"))
        let target = StatsTarget(id: id, name: "app-api-1", image: "i")
        let gone = StatsTarget(id: String(repeating: "ee", count: 32), name: "gone-1", image: "i")
        let snapshot = try await collector.sampleTwice([target, gone], window: .milliseconds(10))
        let entry = try #require(snapshot.entries.first { $0.id == id })
        #expect(entry.cpuPercent == 0)
        #expect(entry.pids == 2)
        #expect(snapshot.failures.map(\.target.name) == ["gone-1"])
        #expect(snapshot.failures.first?.error.description.contains("gone-1") == true)
    }
}

/// An engine that is never asked (the cgroup source lists nothing through it here).
struct NoEngine: StatsEngine {
    struct Unused: Error {}
    func runningContainers(labels: [String]) async throws -> [StatsTarget] { throw Unused() }
    func oneShotStats(id: String) async throws -> ContainerStatsResponse { throw Unused() }
}

@Suite("CgroupReader.readFile")
struct ReadFileTests {
    @Test("files of any size are read whole: short ones in one read, long ones until the end", arguments: [0, 5, 2047, 2048, 4095, 4096, 4097, 10_000, 70_000])
    func sizes(size: Int) throws {
        let host = try FakeHost()
        defer { host.remove() }
        let text = String((0..<size).map { index in index % 50 == 49 ? "\n" : Character(String(index % 10)) })
        try host.write("file", text)
        let bytes = try #require(CgroupReader.readFile(host.root.appendingPathComponent("file").path))
        #expect(bytes.count == size)
        #expect(bytes == Array(text.utf8))
    }

    @Test("a missing file is nil, not empty")
    func missing() {
        #expect(CgroupReader.readFile("/nonexistent/sptest-stats/file") == nil)
    }

    @Test("this machine's /proc/stat is read whole (it can exceed a page on many CPUs)")
    func procStat() throws {
        let bytes = try #require(CgroupReader.readFile("/proc/stat"))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("cpu "))
        #expect(text.contains("\nctxt "), "the lines after the cpu lines are there too")
    }
}
