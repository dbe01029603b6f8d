import Foundation
import TestSupport
import Testing

@testable import GrafanaStandIn

/// The `grafana-standin` executable, as `scripts/up` and the image run it.
@Suite("grafana-standin executable")
struct ExecutableTests {
    /// Built beside the test bundle by `swift build --build-tests`.
    static let binary: String? = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("grafana-standin").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }()

    /// Built, or required (STACKPILOT_REQUIRE_ENGINE=1): then a missing binary fails the tests.
    static var built: Bool {
        ToolGate.runs(if: binary != nil, for: "the grafana-standin executable tests", needing: "grafana-standin beside the test bundle")
    }

    struct Run {
        var status: Int32
        var stderr: String
    }

    /// Starts the binary, waits for `ready` in its log (or its exit), optionally sends SIGTERM.
    static func run(_ arguments: [String], environment: [String: String] = [:], terminateWhenListening: Bool) async throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(binary))
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        let output = LogBuffer()
        errorPipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
        try process.run()
        for _ in 0..<150 where process.isRunning {
            if terminateWhenListening && output.text.contains("listening on http://") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        if terminateWhenListening && process.isRunning { process.terminate() }
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        errorPipe.fileHandleForReading.readabilityHandler = nil
        output.append(errorPipe.fileHandleForReading.readDataToEndOfFile())
        return Run(status: process.terminationStatus, stderr: output.text)
    }

    @Test("starts, says it is not Grafana, and stops cleanly with exit 0 on SIGTERM", .enabled(if: Self.built, "grafana-standin is not built beside the tests"))
    func sigterm() async throws {
        let run = try await Self.run(
            ["--host", "127.0.0.1", "--port", "0", "--provisioning", "/nonexistent"],
            environment: ["GF_SECURITY_ADMIN_PASSWORD": "never-logged-secret"], terminateWhenListening: true)
        #expect(run.stderr.contains("not Grafana"))
        #expect(run.stderr.contains("listening on http://127.0.0.1:"))
        #expect(run.stderr.contains("grafana-standin stopped"))
        #expect(!run.stderr.contains("never-logged-secret"))
        #expect(run.status == 0)
    }

    @Test("a bad port is bad input: exit 2 with a sentence naming it", .enabled(if: Self.built, "grafana-standin is not built beside the tests"))
    func badPort() async throws {
        let run = try await Self.run([], environment: ["GF_SERVER_HTTP_PORT": "http"], terminateWhenListening: false)
        #expect(run.status == 2)
        #expect(run.stderr.contains("GF_SERVER_HTTP_PORT=http"))
    }

    @Test("a broken provisioning file: exit 1 naming the file, nothing served", .enabled(if: Self.built, "grafana-standin is not built beside the tests"))
    func brokenProvisioning() async throws {
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Fixture.write("apiVersion: 1\ndatasources:\n  - name: [oops\n", to: root.appendingPathComponent("datasources/ds.yaml"))
        let run = try await Self.run(["--host", "127.0.0.1", "--port", "0", "--provisioning", root.path], terminateWhenListening: false)
        #expect(run.status == 1)
        #expect(run.stderr.contains(root.appendingPathComponent("datasources/ds.yaml").path))
        #expect(!run.stderr.contains("listening on"))
    }
}

/// Collects a child's stderr from the pipe's handler thread.
final class LogBuffer: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
