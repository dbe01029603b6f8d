import Foundation
import HTTPTransport
import PrometheusAPI
import TestSupport
import Testing

@Suite("ExpositionParser on a real node_exporter")
struct NodeExporterTests {
    static let binary = "/usr/bin/prometheus-node-exporter"

    @Test(
        "the whole /metrics of Debian's node_exporter parses into typed, grouped families",
        .enabled(if: ToolGate.runs(needing: binary, for: "the real node_exporter test"), "needs Debian's prometheus-node-exporter (scripts/setup installs it)"))
    func realNodeExporter() async throws {
        try ToolGate.require(Self.binary)
        let port = try TestServers.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--web.listen-address=127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url("http://127.0.0.1:\(port)")))
        var response: HTTPResponse?
        for _ in 0..<100 {
            if let answer = try? await transport.send(HTTPRequest(path: "/metrics")), answer.status == 200 {
                response = answer
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let body = try #require(response?.body, "node_exporter did not answer on 127.0.0.1:\(port)")
        let families = try ExpositionParser().parse(bytes: Array(body))

        #expect(families.count > 50)
        let cpu = try #require(families[family: "node_cpu_seconds_total"])
        #expect(cpu.type == .counter)
        #expect(cpu.help?.isEmpty == false)
        #expect(cpu.samples.allSatisfy { $0.label("cpu") != nil && $0.label("mode") != nil })
        #expect(families[family: "node_memory_MemTotal_bytes"]?.type == .gauge)
        #expect(families[family: "node_memory_MemTotal_bytes"]?.samples.first?.value ?? 0 > 0)
        // Go runtime summaries: quantile samples plus _sum and _count, grouped under one family.
        let gc = try #require(families[family: "go_gc_duration_seconds"])
        #expect(gc.type == .summary)
        #expect(gc.samples.contains { $0.name == "go_gc_duration_seconds_count" })
        #expect(gc.samples.contains { $0.label("quantile") == "0.5" })
        #expect(families[family: "go_gc_duration_seconds_count"] == nil)
        // Every sample is in exactly one family, and no family is empty.
        let sampleLines = String(decoding: body, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        #expect(families.reduce(0) { $0 + $1.samples.count } == sampleLines)
        #expect(families.allSatisfy { !$0.samples.isEmpty })
    }
}
