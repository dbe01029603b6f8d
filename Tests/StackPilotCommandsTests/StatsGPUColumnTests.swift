import ContainerStats
import Foundation
import Testing

@testable import StackPilotCommands

@Suite("stats GPU memory column")
struct StatsGPUColumnTests {
    static let entry = ContainerStatsEntry(
        id: String(repeating: "e", count: 64), name: "app-model-api-1", image: "model-api:1.0", project: "app", service: "model-api",
        cpuPercent: 12.5, memoryUsedBytes: 512 << 20, memoryLimitBytes: 8 << 30, memoryPercent: 6.25, networkRxBytes: 1000, networkTxBytes: 2000,
        blockReadBytes: 0, blockWriteBytes: 0, pids: 12, cpuUsageSecondsTotal: 3, memoryUsageBytes: 600 << 20, read: "2026-12-02T13:00:00Z", source: .cgroup)

    @Test("with NVML: a gpu mem column and gpuMemoryBytes; without: neither")
    func column() throws {
        let with = StatsPayload(entries: [Self.entry], gpuMemory: [Self.entry.id: 13_000 << 20])
        guard case .rows(let headers, let rows) = with.table else { Issue.record("not rows"); return }
        #expect(headers.last == "gpu mem")
        #expect(rows.first?.last == "12.7GiB")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(with)) as? [[String: Any]]
        #expect(json?.first?["gpuMemoryBytes"] as? Int == 13_000 << 20)
        #expect(json?.first?["name"] as? String == "app-model-api-1")

        let without = StatsPayload(entries: [Self.entry])
        guard case .rows(let plainHeaders, _) = without.table else { Issue.record("not rows"); return }
        #expect(!plainHeaders.contains("gpu mem"))
        let plain = try JSONSerialization.jsonObject(with: JSONEncoder().encode(without)) as? [[String: Any]]
        #expect(plain?.first?["gpuMemoryBytes"] == nil)

        // A container without GPU processes on a GPU host shows 0.
        let idle = StatsPayload(entries: [Self.entry], gpuMemory: [:])
        guard case .rows(_, let idleRows) = idle.table else { return }
        #expect(idleRows.first?.last == "0B")
    }
}
