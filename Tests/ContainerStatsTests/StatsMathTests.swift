import DockerEngine
import Foundation
import Testing

@testable import ContainerStats

/// Recorded and written payloads.
/// - `v1-engine-20.10-two-sample.json`: recorded from this machine's engine (Docker 20.10.24,
///   API 1.41, cgroup v1) with `GET /containers/{id}/stats?stream=false` on a busybox container
///   holding 100 MiB (`dd bs=100M` blocked on a pipe). `docker stats` showed `100.8MiB / 23.54GiB`, `0.42%`.
/// - `v1-engine-20.10-one-shot.json`: recorded with `?stream=false&one-shot=true` on a busybox
///   container burning one core (empty `precpu_stats`, zero `preread`).
/// - `v2-engine-docs.json`: written by hand from the Engine API documentation (moby
///   `api/swagger.yaml`, `ContainerStatsResponse` example for cgroup v2) — not recorded, since this
///   machine runs cgroup v1. Values chosen so each formula has a known answer.
enum Fixture {
    static func load(_ name: String) throws -> ContainerStatsResponse {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(ContainerStatsResponse.self, from: Data(contentsOf: url))
    }
}

@Suite("StatsMath: docker stats formulas")
struct StatsMathTests {
    @Test("cgroup v1 payload recorded from the engine gives docker stats' memory figures")
    func v1Memory() throws {
        let stats = try Fixture.load("v1-engine-20.10-two-sample")
        #expect(stats.memoryStats.stats["total_inactive_file"] == 0)
        let used = StatsMath.memoryUsedNoCache(stats.memoryStats)
        #expect(used == 105_709_568)
        // docker stats printed "100.8MiB / 23.54GiB" and "0.42%" for this container.
        #expect(String(format: "%.1fMiB", Double(used) / 1_048_576) == "100.8MiB")
        #expect(String(format: "%.2f%%", StatsMath.memoryPercent(used: used, limit: stats.memoryStats.limit)) == "0.42%")
        #expect(stats.pidsStats.current == 3)
        #expect(StatsMath.network(stats.networks).rx == 586)
        #expect(stats.readDate != nil && stats.prereadDate != nil)
    }

    @Test("cgroup v1 two-sample payload: CPU % from precpu_stats uses online_cpus")
    func v1CPU() throws {
        let stats = try Fixture.load("v1-engine-20.10-two-sample")
        let expected = Double(0)  // the memory holder was idle: total_usage did not change
        #expect(StatsMath.cpuPercent(previous: stats.precpuStats, current: stats.cpuStats) == expected)
        var busy = stats.cpuStats
        busy.cpuUsage.totalUsage += 990_000_000  // ~one core over the 1.98e9 ns system delta of 2 CPUs
        let percent = StatsMath.cpuPercent(previous: stats.precpuStats, current: busy)
        #expect(abs(percent - 990_000_000.0 / 1_980_000_000.0 * 2 * 100) < 1e-9)
    }

    @Test("one-shot payload: empty precpu_stats and zero preread decode; an entry without a previous sample shows CPU % 0")
    func oneShot() throws {
        let stats = try Fixture.load("v1-engine-20.10-one-shot")
        #expect(stats.prereadDate == nil)
        #expect(stats.precpuStats.systemCpuUsage == nil)
        #expect(stats.cpuStats.cpuUsage.totalUsage > 0)
        // The bare formula against an empty precpu_stats gives a since-boot figure, not a current one…
        #expect(StatsMath.cpuPercent(previous: stats.precpuStats, current: stats.cpuStats) > 0)
        // …so an entry without a previous sample shows 0.
        let target = StatsTarget(id: stats.id ?? "", name: stats.name ?? "", image: "busybox")
        let entry = ContainerStatsEntry(target: target, current: stats, previous: nil, source: .api)
        #expect(entry.cpuPercent == 0)
        #expect(entry.name == "sptest-stats-rec-cpu")
    }

    @Test("cgroup v2 payload (from the API docs): inactive_file, no percpu_usage, lower-case io ops")
    func v2() throws {
        let stats = try Fixture.load("v2-engine-docs")
        #expect(stats.cpuStats.cpuUsage.percpuUsage == nil)
        #expect(stats.memoryStats.maxUsage == nil)
        #expect(StatsMath.memoryUsedNoCache(stats.memoryStats) == 73_400_320 - 10_485_760)
        #expect(StatsMath.blockIO(stats.blkioStats) == (read: 4_096_000 + 1_024, write: 2_048_000))
        let cpu = StatsMath.cpuPercent(previous: stats.precpuStats, current: stats.cpuStats)
        // Δcontainer 400 ms, Δsystem 4 s over 4 online CPUs: 0.4 / 4 × 4 × 100 = 40 %.
        #expect(abs(cpu - 40) < 1e-9)
        let net = StatsMath.network(stats.networks)
        #expect(net.rx == 5_000 + 700 && net.tx == 3_000 + 300)
    }

    struct MemoryCase: Sendable, CustomTestStringConvertible {
        var label: String
        var usage: UInt64
        var stats: [String: UInt64]
        var expected: UInt64
        var testDescription: String { label }
    }

    @Test(
        "memory used follows docker's key rule",
        arguments: [
            MemoryCase(label: "v1 subtracts total_inactive_file", usage: 1000, stats: ["total_inactive_file": 300, "inactive_file": 100], expected: 700),
            MemoryCase(
                label: "v1 key not smaller than usage falls through to inactive_file", usage: 1000, stats: ["total_inactive_file": 1000, "inactive_file": 100],
                expected: 900),
            MemoryCase(label: "v2 subtracts inactive_file", usage: 1000, stats: ["inactive_file": 250], expected: 750),
            MemoryCase(label: "inactive_file not smaller than usage gives usage", usage: 1000, stats: ["inactive_file": 2000], expected: 1000),
            MemoryCase(label: "no keys gives usage", usage: 1000, stats: [:], expected: 1000),
            MemoryCase(label: "v1 cache is not subtracted (docker ≥ 19.03)", usage: 1000, stats: ["cache": 400], expected: 1000),
        ])
    func memoryRule(_ c: MemoryCase) {
        #expect(StatsMath.memoryUsedNoCache(.init(usage: c.usage, stats: c.stats, limit: 4000)) == c.expected)
    }

    @Test("memory % is 0 with a zero limit")
    func memoryPercentZeroLimit() {
        #expect(StatsMath.memoryPercent(used: 10, limit: 0) == 0)
        #expect(StatsMath.memoryPercent(used: 50, limit: 200) == 25)
    }

    @Test("CPU % falls back to len(percpu_usage) when online_cpus is missing or 0")
    func cpuFallback() {
        let previous = ContainerStatsResponse.CPUStats(cpuUsage: .init(totalUsage: 100), systemCpuUsage: 1000)
        let current = ContainerStatsResponse.CPUStats(cpuUsage: .init(totalUsage: 200, percpuUsage: [1, 2, 3]), systemCpuUsage: 2000, onlineCpus: 0)
        #expect(abs(StatsMath.cpuPercent(previous: previous, current: current) - 30) < 1e-9)
        var noPerCPU = current
        noPerCPU.cpuUsage.percpuUsage = nil
        #expect(StatsMath.cpuPercent(previous: previous, current: noPerCPU) == 0)
    }

    @Test("CPU % is 0 when a counter went backwards")
    func cpuReset() {
        let previous = ContainerStatsResponse.CPUStats(cpuUsage: .init(totalUsage: 500), systemCpuUsage: 1000, onlineCpus: 2)
        let current = ContainerStatsResponse.CPUStats(cpuUsage: .init(totalUsage: 100), systemCpuUsage: 2000, onlineCpus: 2)
        #expect(StatsMath.cpuPercent(previous: previous, current: current) == 0)
    }

    @Test("block I/O sums by the op's first letter, either case, and ignores Sync/Async/Total/Discard")
    func blockIO() {
        let entries: [ContainerStatsResponse.BlkioEntry] = [
            .init(major: 8, minor: 0, op: "Read", value: 10), .init(major: 8, minor: 0, op: "Write", value: 20),
            .init(major: 8, minor: 0, op: "Sync", value: 30), .init(major: 8, minor: 0, op: "Async", value: 40),
            .init(major: 8, minor: 0, op: "Total", value: 30), .init(major: 8, minor: 0, op: "Discard", value: 5),
            .init(major: 8, minor: 16, op: "read", value: 1), .init(major: 8, minor: 16, op: "write", value: 2),
            .init(major: 8, minor: 16, op: "", value: 99),
        ]
        let io = StatsMath.blockIO(.init(ioServiceBytesRecursive: entries))
        #expect(io.read == 11)
        #expect(io.write == 22)
    }

    @Test("null blkio lists and missing networks decode as empty")
    func nulls() throws {
        let json =
            #"{"read":"2026-01-01T00:00:00.5Z","preread":"0001-01-01T00:00:00Z","blkio_stats":{"io_service_bytes_recursive":null},"cpu_stats":{},"precpu_stats":{},"memory_stats":{},"pids_stats":{}}"#
        let stats = try JSONDecoder().decode(ContainerStatsResponse.self, from: Data(json.utf8))
        #expect(stats.blkioStats.ioServiceBytesRecursive.isEmpty)
        #expect(stats.networks == nil)
        #expect(StatsMath.network(stats.networks) == (rx: 0, tx: 0))
        let date = try #require(stats.readDate)
        #expect(abs(date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) - 0.5) < 1e-6)
    }
}
