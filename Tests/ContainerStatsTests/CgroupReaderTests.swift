import DockerEngine
import Foundation
import Testing

@testable import ContainerStats

/// Builds a fake cgroupfs + procfs tree in a temporary directory, with the files the kernel
/// writes (formats copied from this machine's cgroup v1 files and the kernel's cgroup v2 docs).
struct FakeHost {
    let root: URL
    var cgroupRoot: String { root.appendingPathComponent("cgroup").path }
    var procRoot: String { root.appendingPathComponent("proc").path }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-stats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    static let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     999       9    0    0    0     0          0         0      999       9    0    0    0     0       0          0
          eth0:     656       8    0    0    0     0          0         0      120       2    0    0    0     0       0          0
          eth1:     100       1    0    0    0     0          0         0       30       1    0    0    0     0       0          0

        """

    func writeProc(pid: Int) throws {
        try write("proc/stat", "cpu  49232 0 9057 103850 945 0 157 1711 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\nintr 0\n")
        try write("proc/meminfo", "MemTotal:       24684092 kB\nMemFree:        1000 kB\n")
        try write("proc/\(pid)/net/dev", Self.netDev)
    }
}

@Suite("CgroupReader")
struct CgroupReaderTests {
    let id = String(repeating: "ab", count: 32)

    @Test("cgroup v1, cgroupfs driver: the payload matches what the engine reports", arguments: ["docker/ID", "system.slice/docker-ID.scope"])
    func v1(layout: String) throws {
        let host = try FakeHost()
        defer { host.remove() }
        let dir = layout.replacingOccurrences(of: "ID", with: id)
        try host.writeProc(pid: 4242)
        try host.write("cgroup/cpuacct/\(dir)/cpuacct.usage", "47964913\n")
        try host.write("cgroup/cpuacct/\(dir)/cpuacct.usage_percpu", "30994299 16970614 \n")
        try host.write("cgroup/cpuacct/\(dir)/cpuacct.stat", "user 3\nsystem 5\n")
        try host.write("cgroup/cpu/\(dir)/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 12345\n")
        try host.write("cgroup/memory/\(dir)/memory.usage_in_bytes", "105709568\n")
        try host.write("cgroup/memory/\(dir)/memory.max_usage_in_bytes", "105828352\n")
        try host.write("cgroup/memory/\(dir)/memory.failcnt", "0\n")
        try host.write("cgroup/memory/\(dir)/memory.limit_in_bytes", "9223372036854771712\n")
        try host.write("cgroup/memory/\(dir)/memory.stat", "cache 4096\nrss 105005056\ntotal_inactive_file 4096\ninactive_file 4096\n")
        try host.write(
            "cgroup/blkio/\(dir)/blkio.bfq.io_service_bytes_recursive",
            "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 12288\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n")
        try host.write("cgroup/blkio/\(dir)/blkio.throttle.io_service_bytes_recursive", "8:0 Read 1\nTotal 1\n")
        try host.write("cgroup/pids/\(dir)/pids.current", "3\n")
        try host.write("cgroup/pids/\(dir)/pids.max", "max\n")
        try host.write("cgroup/pids/\(dir)/cgroup.procs", "4242\n4250\n")

        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        #expect(reader.version == .v1)
        #expect(reader.onlineCPUs() == 2)
        #expect(reader.machineMemory() == 24_684_092 * 1024)
        #expect(reader.canRead(id: id))
        let target = StatsTarget(id: id, name: "/app-api-1", image: "busybox")
        let stats = try reader.read(target: target, machineMemory: reader.machineMemory(), onlineCPUs: 2)
        #expect(stats.cpuStats.cpuUsage.totalUsage == 47_964_913)
        #expect(stats.cpuStats.cpuUsage.percpuUsage == [30_994_299, 16_970_614])
        #expect(stats.cpuStats.cpuUsage.usageInUsermode == 3 * 1_000_000_000 / CgroupReader.clockTicksPerSecond)
        #expect(stats.cpuStats.throttlingData.throttledPeriods == 2)
        #expect(stats.memoryStats.usage == 105_709_568)
        #expect(stats.memoryStats.limit == 24_684_092 * 1024, "an unlimited cgroup reports the machine's memory, as the engine does")
        #expect(StatsMath.memoryUsedNoCache(stats.memoryStats) == 105_709_568 - 4096)
        #expect(StatsMath.blockIO(stats.blkioStats) == (read: 4096, write: 8192), "bfq is preferred over throttle")
        #expect(stats.pidsStats.current == 3)
        #expect(stats.pidsStats.limit == nil)
        #expect(stats.networks?.keys.sorted() == ["eth0", "eth1"], "lo is left out")
        #expect(StatsMath.network(stats.networks) == (rx: 756, tx: 150))
        #expect(stats.name == "/app-api-1")
    }

    @Test("cgroup v2, both drivers: cpu.stat, memory.current/max, io.stat", arguments: ["docker/ID", "system.slice/docker-ID.scope"])
    func v2(layout: String) throws {
        let host = try FakeHost()
        defer { host.remove() }
        let dir = "cgroup/" + layout.replacingOccurrences(of: "ID", with: id)
        try host.writeProc(pid: 77)
        try host.write("cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
        try host.write("\(dir)/cpu.stat", "usage_usec 2400000\nuser_usec 2000000\nsystem_usec 400000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n")
        try host.write("\(dir)/memory.current", "73400320\n")
        try host.write("\(dir)/memory.max", "536870912\n")
        try host.write("\(dir)/memory.stat", "anon 61865984\nfile 11534336\ninactive_file 10485760\nactive_file 1048576\n")
        try host.write(
            "\(dir)/io.stat", "8:0 rbytes=4096000 wbytes=2048000 rios=10 wios=5 dbytes=0 dios=0\n8:16 rbytes=1024 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n")
        try host.write("\(dir)/pids.current", "12\n")
        try host.write("\(dir)/pids.max", "100\n")
        try host.write("\(dir)/cgroup.procs", "77\n")

        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        #expect(reader.version == .v2)
        let stats = try reader.read(target: StatsTarget(id: id, name: "m", image: "i"), machineMemory: 24_684_092 * 1024, onlineCPUs: 2)
        #expect(stats.cpuStats.cpuUsage.totalUsage == 2_400_000_000)
        #expect(stats.cpuStats.cpuUsage.percpuUsage == nil)
        #expect(stats.memoryStats.limit == 536_870_912)
        #expect(StatsMath.memoryUsedNoCache(stats.memoryStats) == 73_400_320 - 10_485_760)
        #expect(StatsMath.blockIO(stats.blkioStats) == (read: 4_097_024, write: 2_048_000))
        #expect(stats.pidsStats.limit == 100)
        #expect(StatsMath.network(stats.networks).rx == 756)
    }

    @Test("a container without a cgroup directory is an error naming the container and the path")
    func missing() throws {
        let host = try FakeHost()
        defer { host.remove() }
        try host.write("cgroup/memory/docker/.keep", "")
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        #expect(!reader.canRead(id: id))
        do {
            _ = try reader.read(target: StatsTarget(id: id, name: "gone-1", image: "i"), machineMemory: 0, onlineCPUs: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("gone-1"))
            #expect(error.description.contains(id))
        }
    }

    @Test("a garbled counter is an error quoting the file, not a zero")
    func garbled() throws {
        let host = try FakeHost()
        defer { host.remove() }
        try host.write("cgroup/cgroup.controllers", "cpu memory\n")
        try host.write("cgroup/docker/\(id)/cpu.stat", "usage_usec 1\n")
        try host.write("cgroup/docker/\(id)/memory.current", "lots\n")
        let reader = try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot)
        #expect(throws: ContainerStatsError.self) {
            try reader.read(target: StatsTarget(id: id, name: "x", image: "i"), machineMemory: 0, onlineCPUs: 1)
        }
    }

    @Test("no cgroup mount: the reader cannot be made, and auto falls back to the API")
    func unavailable() throws {
        let host = try FakeHost()
        defer { host.remove() }
        #expect(throws: ContainerStatsError.self) { try CgroupReader(root: host.cgroupRoot, procRoot: host.procRoot) }
        let (kind, reader) = try StatsCollector.resolve(.auto, engineIsLocal: true, cgroupRoot: host.cgroupRoot, procRoot: host.procRoot, probe: nil)
        #expect(kind == .api)
        #expect(reader == nil)
        #expect(throws: ContainerStatsError.self) {
            try StatsCollector.resolve(.cgroup, engineIsLocal: false, cgroupRoot: host.cgroupRoot, procRoot: host.procRoot, probe: nil)
        }
    }

    struct AutoCase: Sendable, CustomTestStringConvertible {
        var testDescription: String
        /// Files under the fake host's root.
        var files: [String]
        var probe: Bool
        var expected: StatsSourceKind
    }

    /// An exporter in a container sees its own cgroup at /sys/fs/cgroup (readable, but no
    /// containers under it) and its own pid namespace: auto must pick the API there.
    @Test(
        "auto picks cgroupfs only where the containers' cgroups and network counters are readable",
        arguments: [
            AutoCase(
                testDescription: "a container's own cgroup mount, no running container to probe",
                files: ["cgroup/memory/memory.usage_in_bytes", "cgroup/cpuacct/cpuacct.usage"], probe: false, expected: .api),
            AutoCase(
                testDescription: "a container's own cgroup mount, the probe's cgroup absent",
                files: ["cgroup/memory/memory.usage_in_bytes", "cgroup/cpuacct/cpuacct.usage"], probe: true, expected: .api),
            AutoCase(
                testDescription: "the host's cgroups, but not its pid namespace",
                files: ["cgroup/cpuacct/docker/ID/cpuacct.usage", "cgroup/memory/docker/ID/memory.usage_in_bytes", "cgroup/pids/docker/ID/cgroup.procs"],
                probe: true, expected: .api),
            AutoCase(
                testDescription: "the host's cgroups and pid namespace",
                files: [
                    "cgroup/cpuacct/docker/ID/cpuacct.usage", "cgroup/memory/docker/ID/memory.usage_in_bytes", "cgroup/pids/docker/ID/cgroup.procs",
                    "proc/4242/net/dev",
                ], probe: true, expected: .cgroup),
            AutoCase(
                testDescription: "the host's cgroups, no running container to probe",
                files: ["cgroup/cpuacct/docker/ID/cpuacct.usage", "cgroup/memory/docker/ID/memory.usage_in_bytes"], probe: false, expected: .cgroup),
        ])
    func autoSource(_ c: AutoCase) throws {
        let host = try FakeHost()
        defer { host.remove() }
        for file in c.files {
            try host.write(file.replacingOccurrences(of: "ID", with: id), file.hasSuffix("cgroup.procs") ? "4242\n" : "1\n")
        }
        let probe = c.probe ? StatsTarget(id: id, name: "probe", image: "i") : nil
        let (kind, _) = try StatsCollector.resolve(.auto, engineIsLocal: true, cgroupRoot: host.cgroupRoot, procRoot: host.procRoot, probe: probe)
        #expect(kind == c.expected)
    }

    @Test("/proc/<pid>/net/dev parsing keeps every non-loopback interface")
    func netDev() {
        let parsed = CgroupReader.netDev(FakeHost.netDev)
        #expect(parsed["eth0"]?.rxBytes == 656)
        #expect(parsed["eth0"]?.txBytes == 120)
        #expect(parsed["eth0"]?.rxPackets == 8)
        #expect(parsed["lo"] == nil)
    }
}
