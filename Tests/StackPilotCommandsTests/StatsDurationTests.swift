import ArgumentParser
import Testing
@testable import StackPilotCommands

@Suite("stats --interval / --sample-window durations")
struct StatsDurationTests {
    @Test("a number with ms, s or m, or a bare number of seconds", arguments: [
        ("1s", Duration.seconds(1)), ("500ms", .milliseconds(500)), ("2.5s", .milliseconds(2500)), ("1m", .seconds(60)),
        ("2", .seconds(2)), ("0.5", .milliseconds(500)), ("0", .zero), ("0.1s", .milliseconds(100)),
    ])
    func accepted(_ text: String, _ expected: Duration) {
        #expect(StackPilot.Stats.parseDuration(text) == expected)
    }

    @Test("negative, unknown units, several units, and numbers no Duration holds are refused", arguments: [
        "", "s", "-1s", "1h", "1m30s", "5x", "nan", "inf", "infs", "1e30", "1e300ms",
    ])
    func refused(_ text: String) {
        #expect(StackPilot.Stats.parseDuration(text) == nil)
    }

    @Test("an out-of-range --interval or --sample-window is a validation error, not a crash", arguments: [
        ["--interval", "inf"], ["--interval", "1e30"], ["--sample-window", "1e300"], ["--interval", "50ms"],
    ])
    func validation(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try StackPilot.Stats.parse(arguments) }
    }
}
