import Foundation
import TestSupport
import Testing

@testable import GrafanaStandIn

/// A third-party client against the stand-in: the PyPI package grafana-client (installed by
/// scripts/setup into the repository's venv, `.build-venv`, or `$STACKPILOT_VENV`) performs the
/// operations StackPilot performs, with a changed admin password and with a service-account token.
@Suite("grafana-standin and grafana-client")
struct GrafanaClientTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let venvPython: String = {
        let environment = ProcessInfo.processInfo.environment
        let venv = environment["STACKPILOT_VENV"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.root.appendingPathComponent(".build-venv").path
        return venv + "/bin/python"
    }()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/grafana-client/stackpilot_operations.py").path

    struct Step: Decodable { var step: String; var ok: Bool; var status: Int? }

    /// Runs the script without blocking a thread of the cooperative pool (the in-process stand-in
    /// answering the script needs those): output goes to a file, termination is awaited.
    static func run(url: String, mode: String, secret: String) async throws -> (status: Int32, steps: [Step]) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-gc-\(UUID().uuidString.prefix(8)).jsonl")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: venvPython)
        process.arguments = [script, url, mode, secret]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let steps = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONDecoder().decode(Step.self, from: Data($0.utf8)) }
        return (status, steps)
    }

    @Test(
        "grafana-client connects, reads health, writes a datasource, a folder and a dashboard, reads the provisioned rules",
        .enabled(if: ToolGate.runs(needing: GrafanaClientTests.venvPython, for: "grafana-client against grafana-standin")),
        arguments: ["basic", "token"])
    func operations(mode: String) async throws {
        try ToolGate.require(Self.venvPython)
        let provisioning = Self.root.appendingPathComponent("stacks/grafana/provisioning").path
        var configuration = Fixture.configuration(password: "Changed-pw-1", provisioning: provisioning, token: "glsa_gc_test_token")
        configuration.environment = [:]
        try await withRunningStandIn(configuration, logger: Fixture.logger) { url async throws in
            let (status, steps) = try await Self.run(url: url, mode: mode, secret: mode == "basic" ? "Changed-pw-1" : "glsa_gc_test_token")
            let failed = steps.filter { !$0.ok }.map { "\($0.step) (\($0.status.map(String.init) ?? "no status"))" }
            #expect(failed.isEmpty, "failed steps: \(failed)")
            #expect(steps.count >= 13)
            #expect(status == 0)
        }
    }
}
