import ArgumentParser
import Testing

@testable import StackPilotCommands

@Suite("duration flags")
struct DurationFlagTests {
    @Test(
        "every duration flag takes units, compound units and bare seconds",
        arguments: [
            ("1s", Duration.seconds(1)), ("500ms", .milliseconds(500)), ("2.5s", .milliseconds(2500)), ("1m30s", .seconds(90)), ("2", .seconds(2)),
        ])
    func accepted(_ text: String, _ expected: Duration) throws {
        #expect(try StackPilot.Stats.parse(["--interval", text]).interval.duration == expected)
        #expect(try StackPilot.Stats.parse(["--sample-window", text]).sampleWindow?.duration == expected)
        #expect(try StackPilot.Up.parse(["--wait-timeout", text]).waitTimeout?.duration == expected)
        #expect(try StackPilot.Provision.parse(["--timeout", text]).grafana.timeout.duration == expected)
        #expect(try StackPilot.Supervise.parse(["--heal-grace", text]).healGrace.duration == expected)
        #expect(try StackPilot.Supervise.parse(["--cache", text]).cache.duration == expected)
    }

    @Test("-t takes seconds, as docker compose's, and rounds a fraction up", arguments: [("10", 10), ("1.5s", 2), ("2m", 120), ("0", 0)])
    func stopTimeout(_ text: String, _ seconds: Int) throws {
        #expect(try StackPilot.Down.parse(["-t", text]).timeout?.wholeSeconds == seconds)
        #expect(try StackPilot.Restart.parse(["-t", text]).timeout?.wholeSeconds == seconds)
    }

    @Test(
        "an unreadable or out-of-range duration is a usage error (exit 2), not a crash",
        arguments: [
            ["--interval", "inf"], ["--interval", "1e30"], ["--sample-window", "1e300"], ["--interval", "50ms"], ["--sample-window", "-1s"],
            ["--interval", "5x"],
        ])
    func refused(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try StackPilot.Stats.parse(arguments) }
        #expect(StackPilot.exitCode(for: Self.error { try StackPilot.Stats.parse(arguments) }) == .validationFailure)
    }

    static func error(_ body: () throws -> Any) -> any Error {
        do { _ = try body() } catch { return error }
        return CleanExit.message("no error")
    }
}
