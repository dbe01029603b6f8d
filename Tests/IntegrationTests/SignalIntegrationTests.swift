import Foundation
import TestSupport
import Testing

/// `up` and `down` as a CI job or systemd runs them: the built binary, stopped with SIGTERM.
@Suite("Stack commands stopped by signals, against the real engine", .serialized, .requiresEngine)
struct SignalIntegrationTests {
    struct Running {
        let process: Process
        let stderr: URL
        var errorText: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
    }

    static func start(_ arguments: [String], in directory: URL) throws -> Running {
        let process = Process()
        process.executableURL = VersionCommandTests.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        process.environment = env
        let stderr = directory.appendingPathComponent("stderr-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, stderr: stderr)
    }

    /// Waits for the process to end; kills it after `limit` (only so a broken build cannot hang the run).
    static func finish(_ run: Running, limit: Duration = .seconds(90)) async -> (reason: Process.TerminationReason, status: Int32) {
        let deadline = ContinuousClock.now + limit
        while run.process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if run.process.isRunning { kill(run.process.processIdentifier, SIGKILL) }
        run.process.waitUntilExit()
        return (run.process.terminationReason, run.process.terminationStatus)
    }

    /// Polls until `condition` holds (or `limit` passes; then the test's own checks fail).
    static func eventually(limit: Duration = .seconds(60), _ condition: () async throws -> Bool) async rethrows {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test("SIGTERM mid-up and mid-down stops the command cleanly (exit 143, one sentence), and a re-run converges")
    func sigterm() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: VersionCommandTests.binary.path), "build the stackpilot product first (swift build)")
        try await OrchestrationFixture.with { f in
            let image = try await TestImages.busybox(f.client)
            // web waits for db's health, which comes after a few seconds: up is mid-way for a while.
            try f.write(
                """
                services:
                  db:
                    image: \(image)
                    command: ["sh", "-c", "sleep 5; touch /tmp/ready; exec sleep 3600"]
                    stop_grace_period: 4s
                    healthcheck:
                      test: ["CMD", "sh", "-c", "test -f /tmp/ready"]
                      interval: 1s
                      retries: 60
                  web:
                    image: \(image)
                    command: ["sleep", "3600"]
                    stop_grace_period: 4s
                    depends_on:
                      db:
                        condition: service_healthy
                """)
            let args = ["-f", f.file.path, "-p", f.name, "--progress", "plain"]
            let up = try Self.start(["up"] + args + ["--no-provision"], in: f.directory)
            try await Self.eventually { try await f.containers().contains { $0.state == .running } }
            up.process.terminate()
            let stopped = await Self.finish(up)
            #expect(stopped.reason == .exit, "killed by the signal instead of stopping cleanly")
            #expect(stopped.status == 143, "\(up.errorText)")
            #expect(up.errorText.contains("SIGTERM"))
            #expect(up.errorText.contains("error: "))

            let again = try Self.start(["up"] + args + ["--no-provision", "--wait", "--wait-timeout", "60s"], in: f.directory)
            let converged = await Self.finish(again)
            #expect(converged.status == 0, "\(again.errorText)")
            let running = try await f.containers()
            #expect(running.count == 2)
            #expect(running.allSatisfy { $0.state == .running })

            // busybox sleep as PID 1 ignores SIGTERM, so each stop takes its 4 s grace: down is mid-way.
            let down = try Self.start(["down"] + args, in: f.directory)
            try await Self.eventually { try await f.containers().contains { $0.state != .running } || !down.process.isRunning }
            down.process.terminate()
            let downStopped = await Self.finish(down)
            #expect(downStopped.reason == .exit)
            #expect([0, 143].contains(downStopped.status), "\(down.errorText)")
            let downAgain = try Self.start(["down"] + args, in: f.directory)
            #expect(await Self.finish(downAgain).status == 0, "\(downAgain.errorText)")
            #expect(try await f.containers().isEmpty)
        }
    }
}
